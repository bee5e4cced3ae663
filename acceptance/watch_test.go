package acceptance_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"

	"github.com/cloudmap/cloudmap/acceptance"
)

// emptySHA256 is the payload hash of a GET.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

type sseEvent struct {
	id, name string
	data     struct {
		Namespace string
		Services  []watchedService
		watchedService
	}
}

type watchedService struct {
	Service           string
	InstancesRevision int64
	Instances         []struct{ InstanceId, HealthStatus string }
	Changed           []struct{ InstanceId, HealthStatus string }
	Removed           []string
	Deleted           bool
}

type sseStream struct {
	t    *testing.T
	resp *http.Response
	r    *bufio.Reader
}

// watch opens GET /v1/watch signed with SigV4 by the SDK's signer (key ""
// sends it unsigned) and returns the stream, or the response when it is
// not 200.
func watch(t *testing.T, n *acceptance.Node, key, secret, lastID string, query url.Values) (*sseStream, *http.Response) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, n.APIURL()+"/v1/watch?"+query.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	if key != "" {
		err = v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, req,
			emptySHA256, "servicediscovery", "us-east-1", time.Now())
		if err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Cleanup(func() { resp.Body.Close() })
		return nil, resp
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	s := &sseStream{t: t, resp: resp, r: bufio.NewReader(resp.Body)}
	t.Cleanup(func() { resp.Body.Close() })
	return s, nil
}

// next returns the next event, skipping heartbeat comments.
func (s *sseStream) next() sseEvent {
	s.t.Helper()
	var ev sseEvent
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			s.t.Fatalf("reading the stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && ev.name != "":
			return ev
		case strings.HasPrefix(line, "id: "):
			ev.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.name = line[7:]
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(line[6:]), &ev.data); err != nil {
				s.t.Fatalf("event data %q: %v", line, err)
			}
		}
	}
}

func instanceIDs(list []struct{ InstanceId, HealthStatus string }) []string {
	var ids []string
	for _, i := range list {
		ids = append(ids, i.InstanceId)
	}
	slices.Sort(ids)
	return ids
}

func TestWatch_ServiceStream(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createHTTPNamespace(t, n, "shop")
	srv := createService(t, n, &sd.CreateServiceInput{Name: aws.String("cart"), NamespaceId: aws.String(nsID)})
	register(t, n, *srv.Id, "a", map[string]string{"k": "v"})
	s, _ := watch(t, n, "", "", "", url.Values{"namespace": {"shop"}, "service": {"cart"}})

	ev := s.next()
	if ev.name != "snapshot" || len(ev.data.Services) != 1 || !slices.Equal(instanceIDs(ev.data.Services[0].Instances), []string{"a"}) {
		t.Fatalf("first event %s %+v, want a snapshot with a", ev.name, ev.data)
	}
	rev := discover(t, n, &sd.DiscoverInstancesInput{NamespaceName: aws.String("shop"), ServiceName: aws.String("cart")}).InstancesRevision
	if ev.id != jsonInt(*rev) || ev.data.Services[0].InstancesRevision != *rev {
		t.Fatalf("snapshot id %s revision %d, want %d", ev.id, ev.data.Services[0].InstancesRevision, *rev)
	}

	register(t, n, *srv.Id, "b", map[string]string{"k": "v"})
	ev = s.next()
	if ev.name != "change" || !slices.Equal(instanceIDs(ev.data.Changed), []string{"b"}) || len(ev.data.Removed) != 0 {
		t.Fatalf("after registering b: %s %+v", ev.name, ev.data.watchedService)
	}
	deregister(t, n, *srv.Id, "a")
	ev = s.next()
	if ev.name != "change" || len(ev.data.Changed) != 0 || !slices.Equal(ev.data.Removed, []string{"a"}) {
		t.Fatalf("after deregistering a: %s %+v", ev.name, ev.data.watchedService)
	}
	lastID := ev.id

	// Resuming at the last id sends no snapshot: the next event is the next change.
	s.resp.Body.Close()
	s, _ = watch(t, n, "", "", lastID, url.Values{"namespace": {"shop"}, "service": {"cart"}})
	register(t, n, *srv.Id, "c", map[string]string{"k": "v"})
	if ev = s.next(); ev.name != "change" || !slices.Equal(instanceIDs(ev.data.Changed), []string{"c"}) {
		t.Fatalf("resumed at the current id: %s %+v, want the change adding c", ev.name, ev.data.watchedService)
	}
	// Resuming at an old id gets a fresh snapshot.
	s.resp.Body.Close()
	s, _ = watch(t, n, "", "", lastID, url.Values{"namespace": {"shop"}, "service": {"cart"}})
	if ev = s.next(); ev.name != "snapshot" || !slices.Equal(instanceIDs(ev.data.Services[0].Instances), []string{"b", "c"}) {
		t.Fatalf("resumed at an old id: %s %+v, want a snapshot of b, c", ev.name, ev.data)
	}
}

func TestWatch_NamespaceStream(t *testing.T) {
	n := acceptance.MustStart(t)
	nsID := createHTTPNamespace(t, n, "shop")
	cart := createService(t, n, &sd.CreateServiceInput{Name: aws.String("cart"), NamespaceId: aws.String(nsID)})
	pay := createService(t, n, &sd.CreateServiceInput{Name: aws.String("pay"), NamespaceId: aws.String(nsID)})
	register(t, n, *cart.Id, "a", map[string]string{"k": "v"})
	s, _ := watch(t, n, "", "", "", url.Values{"namespace": {"shop"}})

	ev := s.next()
	if ev.name != "snapshot" || ev.data.Namespace != "shop" || len(ev.data.Services) != 2 ||
		ev.data.Services[0].Service != "cart" || ev.data.Services[1].Service != "pay" {
		t.Fatalf("first event %s %+v, want a snapshot of cart and pay", ev.name, ev.data)
	}
	register(t, n, *pay.Id, "p", map[string]string{"k": "v"})
	if ev = s.next(); ev.name != "change" || ev.data.Service != "pay" || !slices.Equal(instanceIDs(ev.data.Changed), []string{"p"}) {
		t.Fatalf("after registering p in pay: %s %+v", ev.name, ev.data.watchedService)
	}
	deregister(t, n, *pay.Id, "p")
	s.next()
	if _, err := n.Client.DeleteService(ctx, &sd.DeleteServiceInput{Id: pay.Id}); err != nil {
		t.Fatal(err)
	}
	if ev = s.next(); ev.name != "change" || ev.data.Service != "pay" || !ev.data.Deleted {
		t.Fatalf("after deleting pay: %s %+v", ev.name, ev.data.watchedService)
	}
}

func TestWatch_Errors(t *testing.T) {
	n := acceptance.MustStart(t, withCredentials(t))
	n.Client = acceptance.NewClient(n.APIURL(), "AKIDADMIN", "admin-secret")
	openID := createHTTPNamespace(t, n, "open")
	closedID := createHTTPNamespace(t, n, "closed")
	createService(t, n, &sd.CreateServiceInput{Name: aws.String("s"), NamespaceId: &openID})
	createService(t, n, &sd.CreateServiceInput{Name: aws.String("s"), NamespaceId: &closedID})

	if s, resp := watch(t, n, "AKIDREADER", "reader-secret", "", url.Values{"namespace": {"open"}, "service": {"s"}}); s == nil {
		t.Fatalf("reader in its namespace: %d %s", resp.StatusCode, body(resp))
	}
	cases := []struct {
		name, key, secret string
		query             url.Values
		status            int
		code, rule        string
	}{
		{"service outside the key's namespaces", "AKIDREADER", "reader-secret", url.Values{"namespace": {"closed"}, "service": {"s"}}, 400, "AccessDeniedException", "closed"},
		{"namespace outside the key's namespaces", "AKIDREADER", "reader-secret", url.Values{"namespace": {"closed"}}, 400, "AccessDeniedException", "closed"},
		{"wrong secret", "AKIDREADER", "wrong", url.Values{"namespace": {"open"}}, 403, "InvalidSignatureException", ""},
		{"unsigned", "", "", url.Values{"namespace": {"open"}}, 403, "MissingAuthenticationTokenException", ""},
		{"namespace missing", "AKIDADMIN", "admin-secret", url.Values{"service": {"s"}}, 400, "InvalidInput", "namespace is required"},
		{"unknown namespace", "AKIDADMIN", "admin-secret", url.Values{"namespace": {"nosuch"}}, 400, "NamespaceNotFound", "nosuch"},
		{"unknown service", "AKIDADMIN", "admin-secret", url.Values{"namespace": {"open"}, "service": {"nosuch"}}, 400, "ServiceNotFound", "nosuch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, resp := watch(t, n, c.key, c.secret, "", c.query)
			if s != nil {
				t.Fatal("stream opened")
			}
			var e struct {
				Type    string `json:"__type"`
				Message string
			}
			b := body(resp)
			json.Unmarshal([]byte(b), &e)
			if resp.StatusCode != c.status || e.Type != c.code || !strings.Contains(e.Message, c.rule) {
				t.Fatalf("got %d %s, want %d %s naming %q", resp.StatusCode, b, c.status, c.code, c.rule)
			}
		})
	}
}

func body(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
