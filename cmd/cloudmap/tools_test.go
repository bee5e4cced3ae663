package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"

	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/bolt"
	"github.com/cloudmap/cloudmap/embed"
	"github.com/cloudmap/cloudmap/etcd/etcdtest"
)

var bg = context.Background()

// runCmd runs the cloudmap command line and returns its exit code and
// outputs.
func runCmd(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, env(nil), &stdout, &stderr, nil)
	return code, stdout.String(), stderr.String()
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := runCmd(args...)
	if code != 0 {
		t.Fatalf("cloudmap %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	return stdout
}

func withAdmin(cfg *embed.Config) { cfg.AdminAddr = "127.0.0.1:0" }

func mustService(t *testing.T, c *sd.Client, nsName string) string {
	t.Helper()
	op, err := c.CreateHttpNamespace(bg, &sd.CreateHttpNamespaceInput{Name: &nsName})
	if err != nil {
		t.Fatal(err)
	}
	o := acceptance.WaitOperation(t, c, *op.OperationId)
	svc, err := c.CreateService(bg, &sd.CreateServiceInput{Name: aws.String("api"), NamespaceId: aws.String(o.Targets["NAMESPACE"])})
	if err != nil {
		t.Fatal(err)
	}
	return *svc.Service.Id
}

func TestBackup_HoldsEveryWriteAcknowledgedBeforeItUnderLoad(t *testing.T) {
	n := acceptance.MustStart(t, withAdmin)
	svcID := mustService(t, n.Client, "backup")

	var mu sync.Mutex
	var acked []string // operation ids of acknowledged registrations
	enough := make(chan struct{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Go(func() {
			for k := range 500 { // bounded
				select {
				case <-stop:
					return
				default:
				}
				out, err := n.Client.RegisterInstance(bg, &sd.RegisterInstanceInput{ServiceId: &svcID,
					InstanceId: aws.String(fmt.Sprintf("i-%d-%d", g, k)),
					Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1"}})
				if err != nil {
					t.Errorf("RegisterInstance: %v", err)
					return
				}
				mu.Lock()
				acked = append(acked, *out.OperationId)
				if len(acked) == 100 {
					close(enough)
				}
				mu.Unlock()
			}
		})
	}
	<-enough
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()
	file := filepath.Join(t.TempDir(), "backup.db")
	out := mustRun(t, "backup", "--admin-addr", n.AdminAddr(), "--out", file)
	close(stop)
	wg.Wait()
	var rev int64
	if _, err := fmt.Sscanf(out, "backup of revision %d", &rev); err != nil {
		t.Fatalf("backup output %q: %v", out, err)
	}

	dir := t.TempDir()
	if got := mustRun(t, "restore", "--in", file, "--data-dir", dir); got != fmt.Sprintf("restored revision %d into %s\n", rev, dir) {
		t.Errorf("restore output %q, want revision %d", got, rev)
	}
	cfg := acceptance.TestConfig(t)
	cfg.DataDir = dir
	r := acceptance.StartConfig(t, cfg)
	for _, id := range before {
		if _, err := r.Client.GetOperation(bg, &sd.GetOperationInput{OperationId: aws.String(id)}); err != nil {
			t.Fatalf("operation %s acknowledged before the backup: %v", id, err)
		}
	}
	t.Logf("%d of %d acknowledged writes preceded the backup at revision %d", len(before), len(acked), rev)
}

func TestBackup_BadInput(t *testing.T) {
	t.Run("admin listener with a token, none given: 401", func(t *testing.T) {
		n := acceptance.MustStart(t, withAdmin, func(c *embed.Config) { c.AdminToken = "tok" })
		file := filepath.Join(t.TempDir(), "b.db")
		code, _, stderr := runCmd("backup", "--admin-addr", n.AdminAddr(), "--out", file)
		if code != 1 || !strings.Contains(stderr, "401") {
			t.Errorf("exit %d, stderr %q: want 1 and a 401", code, stderr)
		}
		if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a failed backup left %s: %v", file, err)
		}
		mustRun(t, "backup", "--admin-addr", n.AdminAddr(), "--admin-token", "tok", "--out", file)
	})
	t.Run("data dir of a running server is refused, of a stopped one taken", func(t *testing.T) {
		n := acceptance.MustStart(t)
		file := filepath.Join(t.TempDir(), "b.db")
		code, _, stderr := runCmd("backup", "--data-dir", n.Config.DataDir, "--out", file)
		if code != 1 || !strings.Contains(stderr, "in use by a running server") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
		n.Close()
		mustRun(t, "backup", "--data-dir", n.Config.DataDir, "--out", file)
	})
	t.Run("restore refuses a non-empty data dir without --force and a truncated file", func(t *testing.T) {
		n := acceptance.MustStart(t)
		n.Close()
		file := filepath.Join(t.TempDir(), "b.db")
		mustRun(t, "backup", "--data-dir", n.Config.DataDir, "--out", file)
		code, _, stderr := runCmd("restore", "--in", file, "--data-dir", n.Config.DataDir)
		if code != 1 || !strings.Contains(stderr, "without --force") {
			t.Errorf("restore over a store: exit %d, stderr %q", code, stderr)
		}
		mustRun(t, "restore", "--in", file, "--data-dir", n.Config.DataDir, "--force")

		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		short := filepath.Join(t.TempDir(), "short.db")
		if err := os.WriteFile(short, b[:len(b)/2], 0o600); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		code, _, stderr = runCmd("restore", "--in", short, "--data-dir", dir)
		if code != 1 || !strings.Contains(stderr, "not a complete cloudmap store") {
			t.Errorf("truncated backup: exit %d, stderr %q", code, stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, bolt.FileName)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a failed restore left a store: %v", err)
		}
	})
}

// populate creates namespaces, services, instances with attributes and
// health, tags and service attributes, and returns nothing: the answers
// of the API are what the round trip compares.
func populate(t *testing.T, c *sd.Client) {
	t.Helper()
	wait := func(op *string, err error) *types.Operation {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return acceptance.WaitOperation(t, c, *op)
	}
	o, err := c.CreateHttpNamespace(bg, &sd.CreateHttpNamespaceInput{Name: aws.String("shop"), Description: aws.String("the shop"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}})
	httpNS := wait(o.OperationId, err).Targets["NAMESPACE"]
	p, err := c.CreatePrivateDnsNamespace(bg, &sd.CreatePrivateDnsNamespaceInput{Name: aws.String("corp.local"), Vpc: aws.String("vpc-1")})
	dnsNS := wait(p.OperationId, err).Targets["NAMESPACE"]
	web, err := c.CreateService(bg, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: &dnsNS,
		DnsConfig:               &types.DnsConfig{DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(30)}}},
		HealthCheckCustomConfig: &types.HealthCheckCustomConfig{},
		Tags:                    []types.Tag{{Key: aws.String("tier"), Value: aws.String("front")}}})
	if err != nil {
		t.Fatal(err)
	}
	cart, err := c.CreateService(bg, &sd.CreateServiceInput{Name: aws.String("cart"), NamespaceId: &httpNS, Description: aws.String("carts")})
	if err != nil {
		t.Fatal(err)
	}
	for i, svc := range []*types.Service{web.Service, cart.Service, web.Service, cart.Service} {
		r, err := c.RegisterInstance(bg, &sd.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: aws.String(fmt.Sprintf("i-%d", i)),
			Attributes: map[string]string{"AWS_INSTANCE_IPV4": fmt.Sprintf("10.0.0.%d", i+1), "AWS_INSTANCE_PORT": "80",
				"stage": "prod", "idx": fmt.Sprint(i)}})
		wait(r.OperationId, err)
	}
	d, err := c.DeregisterInstance(bg, &sd.DeregisterInstanceInput{ServiceId: cart.Service.Id, InstanceId: aws.String("i-3")})
	wait(d.OperationId, err)
	if _, err := c.UpdateInstanceCustomHealthStatus(bg, &sd.UpdateInstanceCustomHealthStatusInput{ServiceId: web.Service.Id,
		InstanceId: aws.String("i-2"), Status: types.CustomHealthStatusUnhealthy}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateServiceAttributes(bg, &sd.UpdateServiceAttributesInput{ServiceId: cart.Service.Id,
		Attributes: map[string]string{"owner": "payments"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagResource(bg, &sd.TagResourceInput{ResourceARN: cart.Service.Arn,
		Tags: []types.Tag{{Key: aws.String("cost"), Value: aws.String("42")}}}); err != nil {
		t.Fatal(err)
	}
}

// answers returns, as JSON, what the API answers to every read: every
// namespace, service, instance, health status, tag, service attribute and
// operation. InstancesRevision values are left out: they are the store's
// revisions, which another store counts on its own.
func answers(t *testing.T, c *sd.Client) string {
	t.Helper()
	var out []any
	add := func(v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	nss, err := c.ListNamespaces(bg, &sd.ListNamespacesInput{})
	add(nss.Namespaces, err)
	for _, ns := range nss.Namespaces {
		g, err := c.GetNamespace(bg, &sd.GetNamespaceInput{Id: ns.Id})
		add(g.Namespace, err)
		tags, err := c.ListTagsForResource(bg, &sd.ListTagsForResourceInput{ResourceARN: ns.Arn})
		add(tags.Tags, err)
		svcs, err := c.ListServices(bg, &sd.ListServicesInput{Filters: []types.ServiceFilter{{Name: types.ServiceFilterNameNamespaceId,
			Values: []string{*ns.Id}}}})
		add(svcs.Services, err)
		for _, s := range svcs.Services {
			g, err := c.GetService(bg, &sd.GetServiceInput{Id: s.Id})
			add(g.Service, err)
			a, err := c.GetServiceAttributes(bg, &sd.GetServiceAttributesInput{ServiceId: s.Id})
			add(a.ServiceAttributes, err)
			tags, err := c.ListTagsForResource(bg, &sd.ListTagsForResourceInput{ResourceARN: s.Arn})
			add(tags.Tags, err)
			insts, err := c.ListInstances(bg, &sd.ListInstancesInput{ServiceId: s.Id})
			add(insts.Instances, err)
			for _, i := range insts.Instances {
				g, err := c.GetInstance(bg, &sd.GetInstanceInput{ServiceId: s.Id, InstanceId: i.Id})
				add(g.Instance, err)
			}
			h, err := c.GetInstancesHealthStatus(bg, &sd.GetInstancesHealthStatusInput{ServiceId: s.Id})
			add(h.Status, err)
			d, err := c.DiscoverInstances(bg, &sd.DiscoverInstancesInput{NamespaceName: ns.Name, ServiceName: s.Name,
				HealthStatus: types.HealthStatusFilterAll})
			if err == nil { // shuffled by design: compare as a set
				sort.Slice(d.Instances, func(a, b int) bool { return *d.Instances[a].InstanceId < *d.Instances[b].InstanceId })
			}
			add(d.Instances, err)
		}
	}
	ops, err := c.ListOperations(bg, &sd.ListOperationsInput{})
	add(ops.Operations, err)
	for _, o := range ops.Operations {
		g, err := c.GetOperation(bg, &sd.GetOperationInput{OperationId: o.Id})
		add(g.Operation, err)
	}
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// records are the lines of an export but its end record (which holds the
// source's revision).
func records(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[:len(lines)-1], "\n")
}

func TestExportImport_RoundTripEmbeddedEtcdEmbedded(t *testing.T) {
	n1 := acceptance.MustStart(t)
	populate(t, n1.Client)
	want := answers(t, n1.Client)
	n1.Close()

	tmp := t.TempDir()
	f1, f2 := filepath.Join(tmp, "1.jsonl"), filepath.Join(tmp, "2.jsonl")
	mustRun(t, "export", "--data-dir", n1.Config.DataDir, "--out", f1)
	eps := strings.Join(etcdtest.Start(t), ",")
	if out := mustRun(t, "import", "--in", f1, "--etcd-endpoints", eps); !strings.HasPrefix(out, "imported ") {
		t.Errorf("import: %q", out)
	}
	if out := mustRun(t, "import", "--in", f1, "--etcd-endpoints", eps); !strings.Contains(out, "nothing to do") {
		t.Errorf("second import of the same file: %q, want nothing to do", out)
	}

	cfg := acceptance.TestConfig(t)
	cfg.EtcdEndpoints = strings.Split(eps, ",")
	n2 := acceptance.StartConfig(t, cfg)
	if got := answers(t, n2.Client); got != want {
		t.Fatalf("answers on etcd differ from the embedded store's:\n%s\nwant\n%s", got, want)
	}
	n2.Close()

	mustRun(t, "export", "--etcd-endpoints", eps, "--out", f2)
	if records(t, f1) != records(t, f2) {
		t.Errorf("the export from etcd differs from the export it was imported from")
	}
	cfg = acceptance.TestConfig(t)
	mustRun(t, "import", "--in", f2, "--data-dir", cfg.DataDir)
	n3 := acceptance.StartConfig(t, cfg)
	if got := answers(t, n3.Client); got != want {
		t.Fatalf("answers after embedded -> etcd -> embedded differ:\n%s\nwant\n%s", got, want)
	}
}

func TestImport_BadFilesImportNothing(t *testing.T) {
	n := acceptance.MustStart(t)
	populate(t, n.Client)
	n.Close()
	tmp := t.TempDir()
	good := filepath.Join(tmp, "good.jsonl")
	mustRun(t, "export", "--data-dir", n.Config.DataDir, "--out", good)
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	write := func(name string, content string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := map[string]struct{ file, want string }{
		"malformed line": {write("malformed", strings.Join(lines[:3], "")+"{not json\n"+strings.Join(lines[4:], "")),
			"line 4: malformed record"},
		"truncated at a line": {write("truncated", strings.Join(lines[:len(lines)-2], "")), "the file is truncated"},
		"cut inside a line":   {write("cut", string(b[:len(b)/2])), "line "},
		"kind and key disagree": {write("kind", strings.Join(lines[:1], "")+strings.Replace(lines[1], `"kind":"`, `"kind":"x`, 1)+
			strings.Join(lines[2:], "")), "line 2: record of kind"},
		"not an export": {write("other", "hello\n"), "line 1: not a cloudmap export header"},
	}
	eps := strings.Join(etcdtest.Start(t), ",")
	for name, c := range bad {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			code, _, stderr := runCmd("import", "--in", c.file, "--data-dir", dir)
			if code != 1 || !strings.Contains(stderr, c.want) {
				t.Errorf("data dir: exit %d, stderr %q, want 1 and %q", code, stderr, c.want)
			}
			if _, err := os.Stat(filepath.Join(dir, bolt.FileName)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed import left a store: %v", err)
			}
			code, _, stderr = runCmd("import", "--in", c.file, "--etcd-endpoints", eps)
			if code != 1 || !strings.Contains(stderr, c.want) {
				t.Errorf("etcd: exit %d, stderr %q, want 1 and %q", code, stderr, c.want)
			}
		})
	}
	// Nothing reached etcd: the good file imports as into an empty prefix.
	if out := mustRun(t, "import", "--in", good, "--etcd-endpoints", eps); !strings.HasPrefix(out, "imported ") {
		t.Errorf("import after the failures: %q", out)
	}
	// A target holding other data is refused.
	other := acceptance.MustStart(t)
	mustService(t, other.Client, "other")
	other.Close()
	code, _, stderr := runCmd("import", "--in", good, "--data-dir", other.Config.DataDir)
	if code != 1 || !strings.Contains(stderr, "not empty") {
		t.Errorf("import into a used data dir: exit %d, stderr %q", code, stderr)
	}
}
