package acceptance_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"

	"github.com/cloudmap/cloudmap/acceptance"
	"github.com/cloudmap/cloudmap/embed"
	"github.com/cloudmap/cloudmap/etcd/etcdtest"
	"github.com/cloudmap/cloudmap/storetest/teststore"
)

// Every node serves long-polls from its own view: a registration on one
// node ends a long-poll waiting on another.
func TestCluster_LongPollOnEveryNode(t *testing.T) {
	teststore.Once(t) // etcd members of its own, not the chosen store
	nodes := startNodes(t, 2, etcdtest.Start(t))
	svcID := dnsService(t, nodes[0], "cluster.local", "web")
	in := &sd.DiscoverInstancesInput{NamespaceName: aws.String("cluster.local"), ServiceName: aws.String("web")}
	var first *sd.DiscoverInstancesOutput
	within(t, "node 1 has the service", func() (err error) {
		first, err = nodes[1].Client.DiscoverInstances(ctx, in)
		return err
	})
	done := make(chan *sd.DiscoverInstancesOutput, 1)
	go func() {
		out, err := nodes[1].Client.DiscoverInstances(ctx, in, longPoll(*first.InstancesRevision, "1m"))
		if err != nil {
			t.Error(err)
		}
		done <- out
	}()
	opID, err := submitRegister(nodes[0], svcID, "web-0", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if op := nodes[0].WaitOperation(t, opID); op.Status != types.OperationStatusSuccess {
		t.Fatalf("register: %s", op.Status)
	}
	out := <-done
	if out == nil || *out.InstancesRevision == *first.InstancesRevision || !ids(out)["web-0"] {
		t.Fatalf("long-poll on node 1 answered %+v, want the registration made on node 0", out)
	}
}

// Renewals sent to a node that does not lead reach the leader's keeper:
// b, renewed only through the follower, outlives a, never renewed.
func TestCluster_LeaseRenewedThroughAFollower(t *testing.T) {
	teststore.Once(t) // etcd members of its own, not the chosen store
	// A leader change restarts every lease (grace): a longer leader TTL
	// keeps a loaded machine from moving the leadership mid-test.
	nodes := startNodes(t, 2, etcdtest.Start(t), func(c *embed.Config) { c.LeaderTTL = 10 * time.Second })
	var leader, follower *acceptance.Node
	within(t, "one leader", func() error {
		got := leaders(nodes)
		if len(got) != 1 {
			return fmt.Errorf("leaders %v", got)
		}
		leader, follower = nodes[got[0]], nodes[1-got[0]]
		return nil
	})
	nsID := createHTTPNamespace(t, leader, "shop")
	svc := createService(t, leader, &sd.CreateServiceInput{Name: aws.String("cart"), NamespaceId: aws.String(nsID),
		HealthCheckCustomConfig: &types.HealthCheckCustomConfig{}})
	_, err := leader.Client.UpdateServiceAttributes(ctx, &sd.UpdateServiceAttributesInput{ServiceId: svc.Id,
		Attributes: map[string]string{"cloudmap.lease-seconds": "5", "cloudmap.deregister-after-seconds": "0"}})
	if err != nil {
		t.Fatal(err)
	}
	register(t, leader, *svc.Id, "a", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1"})
	register(t, follower, *svc.Id, "b", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.2"})
	in := &sd.DiscoverInstancesInput{NamespaceName: aws.String("shop"), ServiceName: aws.String("cart"),
		HealthStatus: types.HealthStatusFilterAll}
	var out *sd.DiscoverInstancesOutput
	within(t, "the follower sees both", func() (err error) {
		if out, err = follower.Client.DiscoverInstances(ctx, in); err == nil && len(out.Instances) != 2 {
			err = fmt.Errorf("instances %v", ids(out))
		}
		return err
	})
	renewBUntilAExpires(t, follower.Client, *svc.Id, in, out)
}
