package acceptance_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/embed"
	"github.com/cloudmap/cloudmap/etcd/etcdtest"
	"github.com/cloudmap/cloudmap/storetest/teststore"
)

// logBuffer is an io.Writer safe for concurrent log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestCluster_ForeignKeys writes keys under the etcd prefix that cloudmap
// did not write (unknown key spaces, undecodable records, malformed instance
// keys, a record of a service that does not exist): no node crashes, the
// view keeps serving what it had and keeps following new writes, the bad
// records are logged, and a node started on top of them serves too.
func TestCluster_ForeignKeys(t *testing.T) {
	teststore.Once(t) // etcd members of its own, not the chosen store
	endpoints := etcdtest.Start(t)
	logs := &logBuffer{}
	nodes := startNodes(t, 2, endpoints, func(c *embed.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	svcID := dnsService(t, nodes[0], "foreign.local", "svc")
	register(t, nodes[0], svcID, "good-1", map[string]string{"AWS_INSTANCE_IPV4": "10.5.0.1"})

	foreign := []struct{ key, value string }{
		{"zzz/not-cloudmap", "hello"},
		{cloudmap.NamespaceKey("ns-garbage"), "{not json"},
		{cloudmap.ServiceKey("srv-garbage"), "\x00\x01\x02"},
		{cloudmap.ServiceKey("srv-empty"), "{}"},
		{cloudmap.InstanceKey(svcID, "broken"), `{"Id":`},
		{cloudmap.InstanceKey(svcID, "empty"), "{}"},
		{cloudmap.InstanceKey("srv-nowhere", "orphan"), `{"Id":"orphan","ServiceId":"srv-nowhere","Attributes":{"AWS_INSTANCE_IPV4":"10.9.9.9"}}`},
		{cloudmap.PrefixInstance + "no-slash", "{}"},
		{cloudmap.PrefixInstance + svcID + "/", "{}"},
		{cloudmap.HealthKey(svcID, "good-1"), "sick"},
		{cloudmap.PrefixHealth + "x", `{"Status":"HEALTHY"}`},
	}
	_, err := nodes[0].Store().Update(context.Background(), func(tx cloudmap.Tx) error {
		for _, f := range foreign {
			if err := tx.Put(f.key, []byte(f.value)); err != nil {
				return fmt.Errorf("put %q: %w", f.key, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("write foreign keys: %v", err)
	}

	// The feed goes on: a registration after the foreign keys reaches both.
	register(t, nodes[1], svcID, "good-2", map[string]string{"AWS_INSTANCE_IPV4": "10.5.0.2"})
	b := acceptance.StartConfig(t, nodes[1].Config) // a node that starts on top of them
	for i, n := range append(nodes, b) {
		within(t, fmt.Sprintf("node %d serves good-2", i), func() error {
			return hasInstance(n, "foreign.local", "svc", "good-2")
		})
		for _, ip := range []string{"10.5.0.1", "10.5.0.2"} {
			if err := hasA(n, "svc.foreign.local", ip); err != nil {
				t.Errorf("node %d dns: %v", i, err)
			}
		}
		if err := hasInstance(n, "foreign.local", "svc", "good-1"); err != nil {
			t.Errorf("node %d lost good-1: %v", i, err)
		}
		// The API answers (whatever it says about the bad records).
		_, err := n.Client.GetInstance(ctx, &sd.GetInstanceInput{ServiceId: &svcID, InstanceId: aws.String("broken")})
		if err == nil {
			t.Errorf("node %d: GetInstance of an undecodable record succeeded", i)
		}
		if _, err := n.Client.ListNamespaces(ctx, &sd.ListNamespacesInput{}); err != nil {
			t.Logf("node %d: ListNamespaces with a foreign namespace record: %v", i, err)
		}
	}
	if got := logs.String(); !strings.Contains(got, "undecodable") || !strings.Contains(got, cloudmap.InstanceKey(svcID, "broken")) {
		t.Errorf("no log line names the undecodable record; logs:\n%s", got)
	}
}
