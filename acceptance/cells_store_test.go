package acceptance_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/miekg/dns"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/bolt"
	"github.com/cloudmap/cloudmap/embed"
)

// countKeys returns the number of keys of n's store under prefix.
func countKeys(t *testing.T, n *acceptance.Node, prefix string) int {
	t.Helper()
	var c int
	if err := n.Store().View(context.Background(), func(tx cloudmap.ReadTx) error {
		var err error
		c, err = tx.Count(prefix)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

// The data dir of testdata/release-datadir was written by the release
// before cells (see its README): a private DNS namespace legacy.local
// (vpc-legacy) with the A-record service api and the instance i-legacy
// (10.1.0.1, release=v1), and the HTTP namespace legacy-http tagged
// team=core. It opens and serves unchanged, in the default cell.
//
// Pinned to bolt: the release's data is a bbolt file.
func TestCells_ReleaseDataDirServesUnchanged(t *testing.T) {
	onBolt := acceptance.OnBolt(t)
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", "release-datadir", bolt.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, bolt.FileName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	n := acceptance.MustStart(t, onBolt, func(c *embed.Config) { c.DataDir = dir })
	check := func(n *acceptance.Node) {
		t.Helper()
		nss, err := n.Client.ListNamespaces(ctx, &sd.ListNamespacesInput{})
		if err != nil || len(nss.Namespaces) != 2 {
			t.Fatalf("ListNamespaces = %+v, %v; want the release's 2 namespaces", nss, err)
		}
		for _, ns := range nss.Namespaces {
			if arn := aws.ToString(ns.Arn); !strings.HasPrefix(arn, "arn:aws:servicediscovery:us-east-1:123456789012:namespace/") {
				t.Errorf("namespace %s has ARN %s, want the default cell's", aws.ToString(ns.Name), arn)
			}
			if aws.ToString(ns.Name) == "legacy-http" {
				tags, err := n.Client.ListTagsForResource(ctx, &sd.ListTagsForResourceInput{ResourceARN: ns.Arn})
				if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "core" {
					t.Errorf("tags of legacy-http = %+v, %v; want team=core", tags, err)
				}
			}
		}
		d, err := n.Client.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("legacy.local"), ServiceName: aws.String("api")})
		if err != nil || len(d.Instances) != 1 || d.Instances[0].Attributes["release"] != "v1" {
			t.Errorf("DiscoverInstances = %+v, %v; want i-legacy", d, err)
		}
		// vpc-legacy is not declared: the namespace answers --dns-private-cidrs (loopback).
		if got := answers(n.Query(t, "udp", "api.legacy.local", dns.TypeA)); len(got) != 1 || !strings.HasSuffix(got[0], "10.1.0.1") {
			t.Errorf("api.legacy.local A = %v, want 10.1.0.1", got)
		}
	}
	check(n)
	// Another cell sees none of it and writes beside it; the release's keys
	// stay where they were.
	other := cellClient(n, "111111111111", "eu-west-1")
	if out, err := other.ListNamespaces(ctx, &sd.ListNamespacesInput{}); err != nil || len(out.Namespaces) != 0 {
		t.Errorf("another cell: ListNamespaces = %+v, %v; want none", out, err)
	}
	if _, err := other.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String("legacy-http")}); err != nil {
		t.Fatalf("the release's namespace name in another cell: %v", err)
	}
	if got := countKeys(t, n, cloudmap.PrefixNamespace); got != 2 {
		t.Errorf("%d keys under %s, want the release's 2", got, cloudmap.PrefixNamespace)
	}
	n = n.Restart(t)
	check(n)
}

// A malformed credential scope or a region not served is the AWS error,
// and a flood of requests naming random accounts and regions that write
// nothing creates no cell.
func TestCells_BadInputCreatesNoCell(t *testing.T) {
	n := acceptance.MustStart(t, func(c *embed.Config) { c.Regions = []string{"us-east-1", "eu-west-1"} })
	t.Run("malformed scope", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, n.APIURL()+"/", strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "Route53AutoNaming_v20170314.ListNamespaces")
		req.Header.Set("X-Amz-Date", "20260101T000000Z")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=111111111111/20260101/eu-west-1, SignedHeaders=host, Signature=00")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "IncompleteSignatureException") ||
			!strings.Contains(string(body), "Credential") {
			t.Errorf("got %d %s, want 400 IncompleteSignatureException naming the Credential", resp.StatusCode, body)
		}
	})
	for _, tc := range []struct{ name, region, msg string }{
		{"region not served", "ap-south-1", "not 'ap-south-1'; this endpoint serves 'us-east-1' or 'eu-west-1'"},
		{"region malformed", "moon-base-x", "not 'moon-base-x'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cellClient(n, "111111111111", tc.region).CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String("x")})
			if err == nil {
				t.Fatal("request succeeded")
			}
			if _, code, msg := apiError(t, err); code != "InvalidSignatureException" || !strings.Contains(msg, tc.msg) {
				t.Errorf("got %s %q, want InvalidSignatureException containing %q", code, msg, tc.msg)
			}
		})
	}
	t.Run("flood of random cells", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(12, 12))
		for i := range 200 {
			acct := fmt.Sprintf("%012d", rng.Uint64N(1e12))
			region := []string{"us-east-1", "eu-west-1", "ap-south-1", fmt.Sprintf("xx-%d", i)}[rng.IntN(4)]
			cl := cellClient(n, acct, region)
			cl.ListNamespaces(ctx, &sd.ListNamespacesInput{})
			cl.GetNamespace(ctx, &sd.GetNamespaceInput{Id: aws.String("ns-doesnotexist")})
			cl.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("a"), ServiceName: aws.String("b")})
			cl.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("s"), NamespaceId: aws.String("ns-doesnotexist")})
			cl.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String("bad name!")})
		}
		for _, p := range []string{"cells/", cloudmap.CellKeyPrefix} {
			if got := countKeys(t, n, p); got != 0 {
				t.Errorf("%d keys under %s after requests that write nothing, want 0", got, p)
			}
		}
	})
}
