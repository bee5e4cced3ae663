package acceptance_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/embed"
)

// longPoll is the per-call option of the README: the two headers, added by
// the SDK's own header middleware.
func longPoll(index int64, wait string) func(*sd.Options) {
	return func(o *sd.Options) {
		o.APIOptions = append(o.APIOptions,
			smithyhttp.AddHeaderValue("X-Cloudmap-Index", strconv.FormatInt(index, 10)),
			smithyhttp.AddHeaderValue("X-Cloudmap-Wait", wait))
	}
}

func TestLongPoll_DiscoverInstancesWaitsForTheNextRevision(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createHTTPNamespace(t, n, "shop")
	srv := createService(t, n, &sd.CreateServiceInput{Name: aws.String("cart"), NamespaceId: aws.String(nsID)})
	register(t, n, *srv.Id, "a", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1"})
	in := &sd.DiscoverInstancesInput{NamespaceName: aws.String("shop"), ServiceName: aws.String("cart")}
	first := discover(t, n, in)

	type result struct {
		out *sd.DiscoverInstancesOutput
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := n.Client.DiscoverInstances(ctx, in, longPoll(*first.InstancesRevision, "10m"))
		done <- result{out, err}
	}()
	register(t, n, *srv.Id, "b", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.2"})
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if *r.out.InstancesRevision == *first.InstancesRevision || !ids(r.out)["b"] {
		t.Fatalf("long-poll answered revision %d with %v, want a newer revision with b (seen %d)",
			*r.out.InstancesRevision, ids(r.out), *first.InstancesRevision)
	}
}

func TestLongPoll_WaitEndsWithTheCurrentState(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createHTTPNamespace(t, n, "shop")
	createService(t, n, &sd.CreateServiceInput{Name: aws.String("cart"), NamespaceId: aws.String(nsID)})
	in := &sd.DiscoverInstancesRevisionInput{NamespaceName: aws.String("shop"), ServiceName: aws.String("cart")}
	first, err := n.Client.DiscoverInstancesRevision(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := n.Client.DiscoverInstancesRevision(ctx, in, longPoll(*first.InstancesRevision, "50ms"))
	if err != nil {
		t.Fatal(err)
	}
	if *out.InstancesRevision != *first.InstancesRevision {
		t.Fatalf("revision %d after an idle wait, want %d", *out.InstancesRevision, *first.InstancesRevision)
	}
}

func TestLongPoll_BadHeaders(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createHTTPNamespace(t, n, "shop")
	createService(t, n, &sd.CreateServiceInput{Name: aws.String("cart"), NamespaceId: aws.String(nsID)})
	in := &sd.DiscoverInstancesInput{NamespaceName: aws.String("shop"), ServiceName: aws.String("cart")}
	header := func(name, value string) func(*sd.Options) {
		return func(o *sd.Options) { o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue(name, value)) }
	}
	cases := []struct {
		name   string
		opt    func(*sd.Options)
		header string
		rule   string
	}{
		{"index not a number", header("X-Cloudmap-Index", "abc"), "X-Cloudmap-Index", "non-negative integer"},
		{"negative index", header("X-Cloudmap-Index", "-1"), "X-Cloudmap-Index", "non-negative integer"},
		{"wait does not parse", longPoll(1, "soon"), "X-Cloudmap-Wait", "duration"},
		{"wait over 10 minutes", longPoll(1, "11m"), "X-Cloudmap-Wait", "maximum of 10m"},
		{"negative wait", longPoll(1, "-5s"), "X-Cloudmap-Wait", "negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := n.Client.DiscoverInstances(ctx, in, c.opt)
			e := wantErr[*types.InvalidInput](t, err)
			if msg := aws.ToString(e.Message); !strings.Contains(msg, c.header) || !strings.Contains(msg, c.rule) {
				t.Fatalf("message %q, want it to name %s and %q", msg, c.header, c.rule)
			}
		})
	}
}

func TestLongPoll_ShutdownAnswersWaiters(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createHTTPNamespace(t, n, "shop")
	createService(t, n, &sd.CreateServiceInput{Name: aws.String("cart"), NamespaceId: aws.String(nsID)})
	in := &sd.DiscoverInstancesRevisionInput{NamespaceName: aws.String("shop"), ServiceName: aws.String("cart")}
	first, err := n.Client.DiscoverInstancesRevision(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := n.Client.DiscoverInstancesRevision(ctx, in, longPoll(*first.InstancesRevision, "10m"))
		done <- err
	}()
	// Close waits for in-flight requests, with a deadline whose expiry it
	// reports: a long-poll left waiting would make it fail.
	if err := n.Close(); err != nil {
		t.Fatalf("Close with a long-poll waiting: %v", err)
	}
	<-done
}

// A long-poll's connection stays open after its answer, over TLS too (the
// connection given back to the server is the TLS one): the SDK's next
// long-poll goes on it, and a client long-polling through changes opens
// no connection per change. (Go's transport itself drops a connection now
// and then, when a response arrives before it has noted the request
// written: one more connection is allowed; closing after each answer
// would take six.)
func TestLongPoll_KeepsItsConnection(t *testing.T) {
	certFile, keyFile := selfSigned(t)
	n := acceptance.MustStart(t, func(c *embed.Config) { c.TLSCert, c.TLSKey = certFile, keyFile })
	// client makes an SDK client with at most one connection (a call waits
	// for it rather than opening another), counting the connections it
	// opens.
	client := func(dials *atomic.Int32) *sd.Client {
		tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, MaxConnsPerHost: 1,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}}
		t.Cleanup(tr.CloseIdleConnections)
		return sd.New(sd.Options{Region: "us-east-1", BaseEndpoint: aws.String(n.APIURL()), HTTPClient: &http.Client{Transport: tr},
			Credentials: aws.AnonymousCredentials{}, APIOptions: []func(*middleware.Stack) error{acceptance.DisableHostPrefix}})
	}
	var pollDials, otherDials atomic.Int32
	poller, c := client(&pollDials), client(&otherDials)
	op, err := c.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String("shop")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetOperation(ctx, &sd.GetOperationInput{OperationId: op.OperationId})
	if err != nil || got.Operation.Status != types.OperationStatusSuccess {
		t.Fatalf("CreateHttpNamespace: %v %v", got, err)
	}
	svc, err := c.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("cart"),
		NamespaceId: aws.String(got.Operation.Targets[string(types.OperationTargetTypeNamespace)])})
	if err != nil {
		t.Fatal(err)
	}
	in := &sd.DiscoverInstancesRevisionInput{NamespaceName: aws.String("shop"), ServiceName: aws.String("cart")}
	first, err := poller.DiscoverInstancesRevision(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	rev := *first.InstancesRevision
	for i := range 6 {
		done := make(chan *sd.DiscoverInstancesRevisionOutput, 1)
		go func() {
			out, err := poller.DiscoverInstancesRevision(ctx, in, longPoll(rev, "10m"))
			if err != nil {
				t.Error(err)
			}
			done <- out
		}()
		_, err := c.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: svc.Service.Id, InstanceId: aws.String(fmt.Sprint("i-", i)),
			Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1"}})
		if err != nil {
			t.Fatal(err)
		}
		out := <-done
		if out == nil || *out.InstancesRevision == rev {
			t.Fatalf("long-poll %d: %v, want a revision after %d", i, out, rev)
		}
		rev = *out.InstancesRevision
	}
	if d := pollDials.Load(); d > 2 {
		t.Fatalf("the poller opened %d connections for a call and 6 long-polls answered at changes, want 1 (kept open)", d)
	}
}

// A long-poll answered after it was parked (its connection held off the
// HTTP server: here at the end of a wait of 0s, on the index it was sent
// with) passes the hooks as any request: its access log line names the
// request ID of its answer, the operation, the caller's access key id, the
// remote address and the status.
func TestAccessLog_ParkedLongPoll(t *testing.T) {
	var logs syncBuffer
	n := acceptance.MustStart(t, func(c *embed.Config) {
		c.AccessLog = true
		c.AccessKeyID, c.SecretAccessKey = "AKIDLONGPOLL", "verysecretkey"
		c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	client := acceptance.NewClient(n.APIURL(), "AKIDLONGPOLL", "verysecretkey")
	op, err := client.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String("shop")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := client.GetOperation(ctx, &sd.GetOperationInput{OperationId: op.OperationId})
	if err != nil || got.Operation.Status != types.OperationStatusSuccess {
		t.Fatalf("CreateHttpNamespace: %v %v", got, err)
	}
	if _, err := client.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("cart"),
		NamespaceId: aws.String(got.Operation.Targets[string(types.OperationTargetTypeNamespace)])}); err != nil {
		t.Fatal(err)
	}
	in := &sd.DiscoverInstancesRevisionInput{NamespaceName: aws.String("shop"), ServiceName: aws.String("cart")}
	first, err := client.DiscoverInstancesRevision(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := client.DiscoverInstancesRevision(ctx, in, longPoll(*first.InstancesRevision, "0s"))
	if err != nil {
		t.Fatal(err)
	}
	id, _ := awsmw.GetRequestIDMetadata(out.ResultMetadata)
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["component"] == "access" && m["request_id"] == id {
			line = m
		}
	}
	if line == nil {
		t.Fatalf("no access log line for the long-poll %s in\n%s", id, logs.String())
	}
	remote, _ := line["remote"].(string)
	if _, _, err := net.SplitHostPort(remote); err != nil || line["op"] != "DiscoverInstancesRevision" ||
		line["key"] != "AKIDLONGPOLL" || line["status"] != float64(200) || line["code"] != "" || line["cell"] != "123456789012/us-east-1" {
		t.Fatalf("access log line of the parked long-poll: %v", line)
	}
}
