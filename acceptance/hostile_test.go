package acceptance_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/aws/smithy-go"

	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/embed"
)

// Regression tests of the hostile-input review, each at the level of the
// attack (raw sockets where the attack is a socket), bounded in count and
// time, on loopback only.

const sdTarget = "Route53AutoNaming_v20170314."

// awsError reads an AWS JSON error answer: status, __type and message.
func awsError(t *testing.T, resp *http.Response) (int, string, string) {
	t.Helper()
	defer resp.Body.Close()
	var doc struct {
		Type    string `json:"__type"`
		Message string
	}
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("status %d, body %q is not an AWS error: %v", resp.StatusCode, b, err)
	}
	return resp.StatusCode, doc.Type, doc.Message
}

// dialAPI opens a raw connection to the API with a deadline that only
// guards the test against a hang.
func dialAPI(t *testing.T, n *acceptance.Node) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(n.APIURL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return c
}

// TestHostile_AuthorizationCheckedBeforeBody (finding 1): with keys
// configured, a request declaring a 1 MiB body with an unknown key is
// answered UnrecognizedClientException after its headers, without the
// server waiting for (or reserving room for) the body, and the connection
// is closed.
func TestHostile_AuthorizationCheckedBeforeBody(t *testing.T) {
	n := acceptance.MustStart(t, withCredentials(t))
	c := dialAPI(t, n)
	now := time.Now().UTC()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.1\r\n"+
		"X-Amz-Target: %sListNamespaces\r\nX-Amz-Date: %s\r\n"+
		"Authorization: AWS4-HMAC-SHA256 Credential=AKIDNOBODY/%s/us-east-1/servicediscovery/aws4_request, "+
		"SignedHeaders=host;x-amz-date;x-amz-target, Signature=%s\r\nContent-Length: 1048576\r\n\r\n{\"MaxResults\":",
		strings.TrimPrefix(n.APIURL(), "http://"), sdTarget, now.Format("20060102T150405Z"), now.Format("20060102"),
		strings.Repeat("0", 64))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer before the body was sent: %v", err)
	}
	if !resp.Close {
		t.Error("the connection is kept open after refusing a request whose body was not read")
	}
	if status, code, _ := awsError(t, resp); status != 403 || code != "UnrecognizedClientException" {
		t.Errorf("status %d %s, want 403 UnrecognizedClientException", status, code)
	}
}

// TestHostile_Route53AuthorizationCheckedBeforeBody (finding 1, the
// Route 53 API on the same listener): a request with an unknown key that
// declares a 1 MiB body is answered InvalidClientTokenId after its
// headers, and the connection is closed, without the body.
func TestHostile_Route53AuthorizationCheckedBeforeBody(t *testing.T) {
	n := acceptance.MustStart(t, withCredentials(t))
	c := dialAPI(t, n)
	now := time.Now().UTC()
	fmt.Fprintf(c, "POST /2013-04-01/hostedzone HTTP/1.1\r\nHost: %s\r\nX-Amz-Date: %s\r\n"+
		"Authorization: AWS4-HMAC-SHA256 Credential=AKIDNOBODY/%s/us-east-1/route53/aws4_request, "+
		"SignedHeaders=host;x-amz-date, Signature=%s\r\nContent-Length: 1048576\r\n\r\n<CreateHostedZoneRequest",
		strings.TrimPrefix(n.APIURL(), "http://"), now.Format("20060102T150405Z"), now.Format("20060102"),
		strings.Repeat("0", 64))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer before the body was sent: %v", err)
	}
	defer resp.Body.Close()
	if !resp.Close {
		t.Error("the connection is kept open after refusing a request whose body was not read")
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 403 || !strings.Contains(string(body), "<Code>InvalidClientTokenId</Code>") {
		t.Errorf("status %d %s, want 403 InvalidClientTokenId", resp.StatusCode, body)
	}
}

// TestHostile_ReplayAsAnotherOperation (finding 3): a signature that does
// not sign X-Amz-Target cannot be replayed as another operation: a signed
// GetNamespace sent as DeleteNamespace is IncompleteSignatureException and
// the namespace stays.
func TestHostile_ReplayAsAnotherOperation(t *testing.T) {
	n := acceptance.MustStart(t, withCredentials(t))
	n.Client = acceptance.NewClient(n.APIURL(), "AKIDADMIN", "admin-secret")
	id := createHTTPNamespace(t, n, "victim")
	body := `{"Id":"` + id + `"}`
	req, err := http.NewRequest(http.MethodPost, n.APIURL()+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	sum := sha256.Sum256([]byte(body))
	err = v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: "AKIDADMIN", SecretAccessKey: "admin-secret"},
		req, hex.EncodeToString(sum[:]), "servicediscovery", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", sdTarget+"DeleteNamespace")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	status, code, msg := awsError(t, resp)
	if status != 400 || code != "IncompleteSignatureException" || !strings.Contains(msg, "'X-Amz-Target' must be a 'SignedHeader'") {
		t.Errorf("replayed as DeleteNamespace: %d %s %q, want 400 IncompleteSignatureException naming X-Amz-Target", status, code, msg)
	}
	if _, err := n.Client.GetNamespace(ctx, &sd.GetNamespaceInput{Id: &id}); err != nil {
		t.Errorf("the namespace is gone after the replay: %v", err)
	}
}

// TestHostile_ScopedKeyCannotShadow (finding 10): a key scoped to
// web.base.local cannot create that private namespace inside base.local,
// which is outside its scope; an unscoped key still can.
func TestHostile_ScopedKeyCannotShadow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials")
	creds := credentialsFile + "\n[team]\naws_access_key_id = AKIDTEAM\naws_secret_access_key = team-secret\n" +
		"allowed_namespaces = web.base.local\n"
	if err := os.WriteFile(path, []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	n := acceptance.MustStart(t, func(c *embed.Config) { c.CredentialsFile = path })
	n.Client = acceptance.NewClient(n.APIURL(), "AKIDADMIN", "admin-secret")
	createPrivateNamespace(t, n, "base.local", 60)
	team := acceptance.NewClient(n.APIURL(), "AKIDTEAM", "team-secret")
	_, err := team.CreatePrivateDnsNamespace(ctx, &sd.CreatePrivateDnsNamespaceInput{
		Name: aws.String("web.base.local"), Vpc: aws.String("vpc-1")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || !strings.Contains(ae.ErrorMessage(), "inside or above") {
		t.Errorf("scoped key creating web.base.local inside base.local: %v; want AccessDeniedException (inside or above)", err)
	}
	createPrivateNamespace(t, n, "web.base.local", 60) // the admin may
}

// TestHostile_ThousandsOfFilters (finding 5): a ListOperations of 14,000
// filters (one request under 1 MiB) is refused as InvalidInput naming the
// filter given more than once, instead of scanning for each of them.
func TestHostile_ThousandsOfFilters(t *testing.T) {
	n := acceptance.MustStart(t)
	filters := make([]types.OperationFilter, 14000)
	for i := range filters {
		filters[i] = types.OperationFilter{Name: types.OperationFilterNameStatus, Values: []string{"SUCCESS"}}
	}
	_, err := n.Client.ListOperations(ctx, &sd.ListOperationsInput{Filters: filters})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidInput" || !strings.Contains(ae.ErrorMessage(), "filter STATUS is given more than once") {
		t.Errorf("14,000 filters: %v; want InvalidInput naming STATUS given more than once", err)
	}
}

// TestHostile_HealthChecksDoNotProbeLoopback (finding 4): with the default
// policy, an instance registered at a loopback address (as one at the
// cloud metadata address would be) is UNHEALTHY without a connection ever
// reaching it.
func TestHostile_HealthChecksDoNotProbeLoopback(t *testing.T) {
	n := acceptance.MustStart(t, func(c *embed.Config) { c.HealthCheckAllow = nil })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan struct{}, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { ln.Close() })
	out, err := n.Client.CreatePublicDnsNamespace(ctx, &sd.CreatePublicDnsNamespaceInput{Name: aws.String("probe.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	nsID := n.WaitOperation(t, *out.OperationId).Targets["NAMESPACE"]
	svc := createService(t, n, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: &nsID,
		DnsConfig:         &types.DnsConfig{DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(10)}}},
		HealthCheckConfig: &types.HealthCheckConfig{Type: types.HealthCheckTypeTcp, FailureThreshold: aws.Int32(1)}})
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	register(t, n, *svc.Id, "inside", map[string]string{"AWS_INSTANCE_IPV4": host, "AWS_INSTANCE_PORT": port})
	eventually(t, "the loopback target UNHEALTHY", func() bool {
		hs, err := n.Client.GetInstancesHealthStatus(ctx, &sd.GetInstancesHealthStatusInput{ServiceId: svc.Id})
		return err == nil && hs.Status["inside"] == types.HealthStatusUnhealthy
	})
	select {
	case <-accepted:
		t.Error("a health check connected to a loopback address")
	default:
	}
}

// TestHostile_IdleConnectionsDoNotLockOthersOut (finding 6): one address
// holding its quota of idle keep-alive connections gets 503
// ServiceUnavailable on the next one at once; another client is served.
func TestHostile_IdleConnectionsDoNotLockOthersOut(t *testing.T) {
	n := acceptance.MustStart(t, func(c *embed.Config) { c.MaxConnectionsPerClient = 8 })
	host := strings.TrimPrefix(n.APIURL(), "http://")
	request := "POST / HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/x-amz-json-1.1\r\n" +
		"X-Amz-Target: " + sdTarget + "ListNamespaces\r\nContent-Length: 2\r\n\r\n{}"
	for range 8 {
		c := dialAPI(t, n)
		io.WriteString(c, request)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("keep-alive request: %v %v", resp, err)
		}
		io.Copy(io.Discard, resp.Body)
	}
	over := dialAPI(t, n)
	io.WriteString(over, request)
	resp, err := http.ReadResponse(bufio.NewReader(over), nil)
	if err != nil {
		t.Fatal(err)
	}
	if status, code, msg := awsError(t, resp); status != 503 || code != "ServiceUnavailable" || !strings.Contains(msg, "8 per client address") {
		t.Errorf("ninth connection: %d %s %q, want 503 ServiceUnavailable naming the per-client limit", status, code, msg)
	}
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	hc := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	c2 := sd.New(sd.Options{Region: "us-east-1", BaseEndpoint: aws.String(n.APIURL()), HTTPClient: hc,
		Credentials: aws.AnonymousCredentials{}})
	if _, err := c2.ListNamespaces(ctx, &sd.ListNamespacesInput{}); err != nil {
		t.Errorf("another client: %v", err)
	}
}

// TestHostile_BrokenCredentialsOnReload (finding 11): a credentials file
// broken on SIGHUP keeps the previous keys (so a key removed in the same
// edit still works, as before), and the failure is visible: Reload's error
// and the server's CredentialsReload state, until a good file is loaded.
func TestHostile_BrokenCredentialsOnReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(path, []byte(credentialsFile), 0o600); err != nil {
		t.Fatal(err)
	}
	n := acceptance.MustStart(t, func(c *embed.Config) { c.CredentialsFile = path })
	reader := acceptance.NewClient(n.APIURL(), "AKIDREADER", "reader-secret")
	broken := strings.Replace(credentialsFile, "[reader]", "[reader", 1) // the reader removed, and a syntax error
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.Server.Reload(); err == nil || !strings.Contains(err.Error(), "closing") {
		t.Fatalf("Reload of a broken file = %v, want the parse error", err)
	}
	if st := n.Server.CredentialsReload(); st.Failures != 1 || st.LastError == nil {
		t.Errorf("CredentialsReload = %+v, want one failure with its error", st)
	}
	if _, err := reader.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("open"),
		ServiceName: aws.String("s")}); err != nil && strings.Contains(err.Error(), "UnrecognizedClient") {
		t.Errorf("the previous keys were dropped: %v", err)
	}
	adminOnly := credentialsFile[:strings.Index(credentialsFile, "[reader]")]
	if err := os.WriteFile(path, []byte(adminOnly), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.Server.Reload(); err != nil {
		t.Fatal(err)
	}
	if st := n.Server.CredentialsReload(); st.Failures != 1 || st.LastError != nil {
		t.Errorf("after a good reload CredentialsReload = %+v, want no current error", st)
	}
	_, err := reader.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("open"), ServiceName: aws.String("s")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnrecognizedClientException" {
		t.Errorf("the removed key after a good reload: %v, want UnrecognizedClientException", err)
	}
}
