package registry_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/registry"
	"github.com/cloudmap/cloudmap/registry/internal/memstore"
)

const (
	region  = "us-east-1"
	account = "123456789012"
)

// newStore returns the store the tests run on. It is a variable so that a
// backend test file can switch it.
var newStore = func(t testing.TB) cloudmap.Store {
	s := memstore.New()
	t.Cleanup(func() { s.Close() })
	return s
}

// env is a registry on a fresh store, optionally with its worker running.
type env struct {
	t     testing.TB
	reg   *registry.Registry
	cfg   registry.Config
	store cloudmap.Store
	ctx   context.Context
}

// newEnv returns a registry with its worker running until the test ends.
func newEnv(t testing.TB, cfg registry.Config) *env {
	e := newIdleEnv(t, cfg)
	e.startWorker(t)
	return e
}

// newIdleEnv returns a registry whose worker is not running.
func newIdleEnv(t testing.TB, cfg registry.Config) *env {
	t.Helper()
	cfg.Region, cfg.AccountID = region, account
	store := newStore(t)
	return &env{t: t, reg: registry.New(store, cfg), cfg: cfg, store: store, ctx: context.Background()}
}

// newQueueingEnv returns a registry whose requests queue their operations
// (an operation delay of an hour) and whose worker is not running: the
// operations stay SUBMITTED until startWorker, drainWith or seedNamespace
// runs the worker of a node without a delay.
func newQueueingEnv(t testing.TB, cfg registry.Config) *env {
	cfg.OperationDelay = time.Hour
	return newIdleEnv(t, cfg)
}

// resumer returns a registry on e's store with e's configuration but no
// operation delay: its worker applies every queued operation at once, as
// a node restarted without a delay does.
func (e *env) resumer() *registry.Registry {
	cfg := e.cfg
	cfg.OperationDelay = 0
	return registry.New(e.store, cfg)
}

// startWorker runs the worker of resumer until the test ends.
func (e *env) startWorker(t testing.TB) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	w := e.resumer()
	go func() { done <- w.RunWorker(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunWorker: %v", err)
		}
	})
}

// wait polls an operation until it is final (bounded: 10 s).
func (e *env) wait(t testing.TB, opID string) *cloudmap.Operation {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := e.reg.GetOperation(e.ctx, &cloudmap.GetOperationInput{OperationId: opID})
		if err != nil {
			t.Fatalf("GetOperation %s: %v", opID, err)
		}
		if out.Operation.Status.Done() {
			return out.Operation
		}
		if time.Now().After(deadline) {
			t.Fatalf("operation %s still %s", opID, out.Operation.Status)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// succeed waits for an operation and fails the test unless it succeeded.
func (e *env) succeed(out *cloudmap.OperationOutput, err error) *cloudmap.Operation {
	t := e.t
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	op := e.wait(t, out.OperationId)
	if op.Status != cloudmap.OpSuccess {
		t.Fatalf("operation %s %s: %s %s", op.Id, op.Type, op.ErrorCode, op.ErrorMessage)
	}
	return op
}

func (e *env) httpNamespace(t testing.TB, name string) string {
	t.Helper()
	op := e.succeed(e.reg.CreateHttpNamespace(e.ctx, &cloudmap.CreateHttpNamespaceInput{Name: name}))
	return op.Targets[cloudmap.TargetNamespace]
}

func (e *env) privateNamespace(t testing.TB, name string) string {
	t.Helper()
	op := e.succeed(e.reg.CreatePrivateDnsNamespace(e.ctx, &cloudmap.CreatePrivateDnsNamespaceInput{Name: name, Vpc: "vpc-1"}))
	return op.Targets[cloudmap.TargetNamespace]
}

func (e *env) publicNamespace(t testing.TB, name string) string {
	t.Helper()
	op := e.succeed(e.reg.CreatePublicDnsNamespace(e.ctx, &cloudmap.CreatePublicDnsNamespaceInput{Name: name}))
	return op.Targets[cloudmap.TargetNamespace]
}

func (e *env) service(t testing.TB, in *cloudmap.CreateServiceInput) *cloudmap.Service {
	t.Helper()
	out, err := e.reg.CreateService(e.ctx, in)
	if err != nil {
		t.Fatalf("CreateService %s: %v", in.Name, err)
	}
	return out.Service
}

func (e *env) register(t testing.TB, svcID, instID string, attrs map[string]string) {
	t.Helper()
	e.succeed(e.reg.RegisterInstance(e.ctx, &cloudmap.RegisterInstanceInput{ServiceId: svcID, InstanceId: instID, Attributes: attrs}))
}

// health reads an instance's stored health ("" when there is none).
func (e *env) health(t testing.TB, svcID, instID string) cloudmap.HealthStatus {
	t.Helper()
	var h cloudmap.Health
	err := e.store.View(e.ctx, func(tx cloudmap.ReadTx) error {
		b, err := tx.Get(cloudmap.HealthKey(svcID, instID))
		if errors.Is(err, cloudmap.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return cloudmap.Decode(b, &h)
	})
	if err != nil {
		t.Fatal(err)
	}
	return h.Status
}

// keys lists the stored keys with a prefix.
func (e *env) keys(t testing.TB, prefix string) []string {
	t.Helper()
	var keys []string
	err := e.store.View(e.ctx, func(tx cloudmap.ReadTx) error {
		return tx.Range(prefix, "", func(k string, _ []byte) bool {
			keys = append(keys, k)
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// wantCode fails unless err is an *cloudmap.Error with the code; it returns it.
func wantCode(t testing.TB, err error, code string) *cloudmap.Error {
	t.Helper()
	var e *cloudmap.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want %s", err, code)
	}
	if e.Code != code {
		t.Fatalf("got %s: %s, want %s", e.Code, e.Message, code)
	}
	if e.Message == "" {
		t.Errorf("%s without a message", code)
	}
	return e
}

func attrs(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func seq(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return out
}

func manyTags(n int) []cloudmap.Tag {
	var tags []cloudmap.Tag
	for _, k := range seq("k", n) {
		tags = append(tags, cloudmap.Tag{Key: k, Value: "v"})
	}
	return tags
}

// seedNamespace creates a private DNS namespace on a registry whose worker
// is not running, by running the worker of resumer just for it.
func seedNamespace(t testing.TB, e *env, name string) string {
	t.Helper()
	out, err := e.reg.CreatePrivateDnsNamespace(e.ctx, &cloudmap.CreatePrivateDnsNamespaceInput{Name: name, Vpc: "vpc-1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	w := e.resumer()
	go func() { done <- w.RunWorker(ctx) }()
	op := e.wait(t, out.OperationId)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return op.Targets[cloudmap.TargetNamespace]
}
