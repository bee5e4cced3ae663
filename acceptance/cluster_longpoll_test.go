package acceptance_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"

	"github.com/cloudmap/cloudmap/etcd/etcdtest"
)

// Every node serves long-polls from its own view: a registration on one
// node ends a long-poll waiting on another.
func TestCluster_LongPollOnEveryNode(t *testing.T) {
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
