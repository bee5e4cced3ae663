package registry

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudmap/cloudmap"
)

// Config configures a Registry.
type Config struct {
	// Region and AccountID are the default cell: the cell of a request
	// whose context carries none (cloudmap.CellFrom). Its keys keep the
	// single-cell layout (cell.go). ARNs and owner fields show the
	// request's cell.
	Region, AccountID string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Logger receives the worker's messages; nil discards them.
	Logger *slog.Logger
	// WaitApplied blocks until the in-memory view has applied rev; GetOperation
	// calls it before reporting a final status. nil means no wait.
	WaitApplied func(ctx context.Context, rev int64) error
	// MaxNamespaces, MaxServices and MaxInstancesPerService are account
	// quotas; 0 means unlimited. Reaching one is ResourceLimitExceeded.
	MaxNamespaces, MaxServices, MaxInstancesPerService int
	// MaxBatch is the most operations the worker applies in one
	// Store.Update (which also moves up to MaxBatch minus that many queued
	// operations to PENDING); 0 means DefaultMaxBatch (1000).
	// Applying a registration or deregistration writes OperationKeys (5)
	// keys and reads about 3 (operation, in-progress marker, the instance
	// when MaxInstancesPerService is set) besides its service; moving it to
	// PENDING reads and writes 1. A store that bounds the operations of a
	// transaction needs a smaller batch: for etcd use
	// BatchForTxnOps(store.MaxTxnOps()), 25 for etcd's default 128. Heavier
	// operations (namespaces with tags, UpdateService adding or removing a
	// health check) make a batch the store refuses; the worker then splits it.
	MaxBatch int
	// Finished, when set, is called after the final status of an
	// operation was committed (metrics); it must not block.
	Finished func(t cloudmap.OperationType, s cloudmap.OperationStatus)
	// OperationDelay, when positive, keeps every new operation SUBMITTED
	// for half of it and PENDING for the other half before the worker
	// applies it, and requests reply at once (for clients whose polling
	// should be exercised as AWS's seconds-long operations do). Queued
	// operations survive a restart. 0 (the default): a request applies its
	// operation in its own transaction and replies when it is final.
	OperationDelay time.Duration
	// DeclaredVPC reports whether the clients of a VPC are declared to
	// the server (--vpc): private namespaces of such a VPC may not
	// overlap (vpc.go). nil: none is.
	DeclaredVPC func(id string) bool
	// HealthChecksPrivate accepts HealthCheckConfig in private DNS
	// namespaces (AWS refuses it there).
	HealthChecksPrivate bool
}

// Registry implements cloudmap.ControlPlane over a cloudmap.Store.
type Registry struct {
	store *cellStore // the store seen from the request's cell (cell.go)
	cfg   Config
	log   *slog.Logger
	// nudge wakes the worker in this process right after a submission.
	nudge chan struct{}
	// pendMu guards pending: the cells with operations queued since the
	// worker last drained them (the zero Cell for the default cell).
	pendMu  sync.Mutex
	pending map[cloudmap.Cell]struct{}

	// svcMu guards svcCache: decoded services keyed by id with the stored
	// bytes they were decoded from, so that the hot paths (register, apply)
	// skip decoding an unchanged service.
	svcMu    sync.Mutex
	svcCache map[string]cachedService
}

type cachedService struct {
	raw []byte
	svc *cloudmap.Service
}

// maxCachedServices bounds svcCache; it is emptied when full.
const maxCachedServices = 4096

// sharedService returns the service id as stored in tx, decoded once per
// stored value. The result is shared: callers must not modify it.
// Errors: ServiceNotFound.
func (r *Registry) sharedService(tx cloudmap.ReadTx, id string) (*cloudmap.Service, error) {
	b, err := tx.Get(cloudmap.ServiceKey(id))
	if errors.Is(err, cloudmap.ErrKeyNotFound) {
		return nil, serviceNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("registry: get %s: %w", cloudmap.ServiceKey(id), err)
	}
	r.svcMu.Lock()
	c, ok := r.svcCache[id]
	r.svcMu.Unlock()
	if ok && bytes.Equal(c.raw, b) {
		return c.svc, nil
	}
	svc := &cloudmap.Service{}
	if err := cloudmap.Decode(b, svc); err != nil {
		return nil, fmt.Errorf("registry: %s: %w", cloudmap.ServiceKey(id), err)
	}
	r.svcMu.Lock()
	if len(r.svcCache) >= maxCachedServices {
		clear(r.svcCache)
	}
	r.svcCache[id] = cachedService{raw: bytes.Clone(b), svc: svc}
	r.svcMu.Unlock()
	return svc, nil
}

// cachedService returns the last decoded version of service id, or nil;
// it may be stale, so callers check it against the store in their
// transaction. The result is shared: callers must not modify it.
func (r *Registry) cachedService(id string) *cloudmap.Service {
	r.svcMu.Lock()
	defer r.svcMu.Unlock()
	return r.svcCache[id].svc
}

var _ cloudmap.ControlPlane = (*Registry)(nil)

// New returns a Registry that keeps its records in store.
func New(store cloudmap.Store, cfg Config) *Registry {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r := &Registry{cfg: cfg, log: log, nudge: make(chan struct{}, 1),
		svcCache: map[string]cachedService{}}
	r.store = &cellStore{r: r, s: store}
	return r
}

// now returns the current time in UTC with the millisecond precision AWS
// reports dates with.
func (r *Registry) now() time.Time {
	return r.cfg.Now().UTC().Truncate(time.Millisecond)
}

// wake nudges the worker without blocking, to drain the cell of ctx.
func (r *Registry) wake(ctx context.Context) {
	r.queuedIn(cellKey(r.cell(ctx)))
	select {
	case r.nudge <- struct{}{}:
	default:
	}
}

// Registry-owned key prefixes (see doc.go).
const (
	prefixOp       = "op/"
	prefixOpQueue  = "opq/"
	prefixOpStatus = "opst/"
	prefixBusy     = "busy/"
	prefixNSName   = "idx/nsname/"
	prefixHTTPName = "idx/httpname/"
	prefixSvcName  = "idx/svcname/"
	prefixTag      = "tag/"
	prefixAttr     = "attr/"
	prefixIdem     = "idem/"
)

func opKey(id string) string       { return prefixOp + id }
func opQueueKey(id string) string  { return prefixOpQueue + id }
func opStatusKey(id string) string { return prefixOpStatus + id }
func busyNSKey(id string) string   { return prefixBusy + "ns/" + id }
func busySvcKey(id string) string  { return prefixBusy + "svc/" + id }
func busyInstPrefix(svc string) string {
	return prefixBusy + "inst/" + svc + "/"
}
func busyInstKey(svc, inst string) string { return busyInstPrefix(svc) + inst }
func svcNamePrefix(nsID string) string    { return prefixSvcName + nsID + "/" }
func tagPrefix(resID string) string       { return prefixTag + resID + "/" }
func attrKey(svcID string) string         { return prefixAttr + svcID }
func idemKey(kind, token string) string   { return prefixIdem + kind + "/" + token }

// nsNameKey is the uniqueness key of a namespace name within its type
// family. DNS names compare case-insensitively.
func nsNameKey(t cloudmap.NamespaceType, name string) string {
	if t.IsDNS() {
		name = strings.ToLower(strings.TrimSuffix(name, "."))
	}
	return prefixNSName + string(t) + "/" + name
}

func httpNameKey(name string) string { return prefixHTTPName + name }

// svcNameKey is the uniqueness key of a service name in its namespace;
// names differing only in case collide in DNS namespaces (model doc of
// CreateServiceRequest.Name).
func svcNameKey(nsID string, dns bool, name string) string {
	if dns {
		name = strings.ToLower(name)
	}
	return svcNamePrefix(nsID) + name
}

// IDs look like AWS's: ns-/srv- plus 16 lowercase base32 characters,
// operations 32 + "-" + 8 characters, hosted zones "Z" + 20 upper case.
func newNamespaceID() string { return "ns-" + strings.ToLower(rand.Text()[:16]) }
func newServiceID() string   { return "srv-" + strings.ToLower(rand.Text()[:16]) }

// newOperationID returns an id shaped like AWS's (32 lowercase alphanumerics,
// "-", 8 more) whose first 13 characters encode the creation time in an
// alphabet that sorts like the numbers it encodes: the worker's queue, keyed
// by operation id, then applies operations in submission order.
func newOperationID() string {
	now := time.Now().UnixNano()
	for {
		last := lastOpTime.Load()
		if now <= last {
			now = last + 1
		}
		if lastOpTime.CompareAndSwap(last, now) {
			break
		}
	}
	const sortable = "234567abcdefghijklmnopqrstuvwxyz"
	var ts [13]byte
	for i, v := len(ts)-1, uint64(now); i >= 0; i, v = i-1, v>>5 {
		ts[i] = sortable[v&31]
	}
	return string(ts[:]) + strings.ToLower((rand.Text())[:19]+"-"+rand.Text()[:8])
}

// lastOpTime keeps operation ids strictly increasing within the process.
var lastOpTime atomic.Int64

func newHostedZoneID() string { return "Z" + rand.Text()[:20] }

// arn returns the ARN of a resource of kind in cell c.
func arn(c cloudmap.Cell, kind, id string) string {
	return "arn:aws:servicediscovery:" + c.Region + ":" + c.Account + ":" + kind + "/" + id
}

// resourceID returns the id of an input typed Arn, which takes the bare id
// or the full ARN of a resource of kind ("namespace" or "service"). ok is
// false for an ARN of another partition (only "aws" exists here), service,
// kind, or of another region or account than cell c.
func resourceID(c cloudmap.Cell, kind, v string) (id string, ok bool) {
	if !strings.HasPrefix(v, "arn:") {
		return v, v != ""
	}
	parts := strings.SplitN(v, ":", 6)
	if len(parts) != 6 || parts[1] != "aws" || parts[2] != "servicediscovery" || parts[3] != c.Region || parts[4] != c.Account {
		return "", false
	}
	id, found := strings.CutPrefix(parts[5], kind+"/")
	return id, found && id != ""
}

// getRecord decodes the value of key into v; found is false for a missing key.
func getRecord(tx cloudmap.ReadTx, key string, v any) (found bool, err error) {
	b, err := tx.Get(key)
	if errors.Is(err, cloudmap.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("registry: get %s: %w", key, err)
	}
	if err := cloudmap.Decode(b, v); err != nil {
		return false, fmt.Errorf("registry: %s: %w", key, err)
	}
	return true, nil
}

// getString returns the raw value of key as a string, "" when missing.
func getString(tx cloudmap.ReadTx, key string) (string, error) {
	b, err := tx.Get(key)
	if errors.Is(err, cloudmap.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("registry: get %s: %w", key, err)
	}
	return string(b), nil
}

func put(tx cloudmap.Tx, key string, v any) error {
	if err := tx.Put(key, cloudmap.Encode(v)); err != nil {
		return fmt.Errorf("registry: put %s: %w", key, err)
	}
	return nil
}

func putString(tx cloudmap.Tx, key, v string) error {
	if err := tx.Put(key, []byte(v)); err != nil {
		return fmt.Errorf("registry: put %s: %w", key, err)
	}
	return nil
}

func del(tx cloudmap.Tx, key string) error {
	if err := tx.Delete(key); err != nil {
		return fmt.Errorf("registry: delete %s: %w", key, err)
	}
	return nil
}

func count(tx cloudmap.ReadTx, prefix string) (int, error) {
	n, err := tx.Count(prefix)
	if err != nil {
		return 0, fmt.Errorf("registry: count %s: %w", prefix, err)
	}
	return n, nil
}

// deletePrefix deletes every key with the prefix.
func deletePrefix(tx cloudmap.Tx, prefix string) error {
	var keys []string
	if err := tx.Range(prefix, "", func(k string, _ []byte) bool {
		keys = append(keys, k)
		return true
	}); err != nil {
		return fmt.Errorf("registry: range %s: %w", prefix, err)
	}
	for _, k := range keys {
		if err := del(tx, k); err != nil {
			return err
		}
	}
	return nil
}

// wrap returns err unchanged when it is an *cloudmap.Error and wraps it with
// the operation name otherwise.
func wrap(op string, err error) error {
	var e *cloudmap.Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("registry: %s: %w", op, err)
}

func invalid(format string, args ...any) error {
	return cloudmap.Errorf(cloudmap.ErrInvalidInput, format, args...)
}

// requestHash fingerprints the parameters of a request for idempotency.
func requestHash(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprint(v))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// idemRecord is what a CreatorRequestId or UpdaterRequestId remembers.
type idemRecord struct {
	Hash        string
	OperationId string `json:",omitempty"`
	ServiceId   string `json:",omitempty"`
}

// checkIdem looks the request token up: it returns the first result when the
// same token came with the same parameters, DuplicateRequest when it came
// with others, and nil, nil when the token is new (or empty).
func checkIdem(tx cloudmap.ReadTx, kind, token, hash string) (*idemRecord, error) {
	if token == "" {
		return nil, nil
	}
	var rec idemRecord
	found, err := getRecord(tx, idemKey(kind, token), &rec)
	if err != nil || !found {
		return nil, err
	}
	if rec.Hash != hash {
		e := cloudmap.Errorf(cloudmap.ErrDuplicateRequest,
			"the request token %q was already used with different parameters", token)
		if rec.OperationId != "" {
			e.With("DuplicateOperationId", rec.OperationId)
		}
		return nil, e
	}
	return &rec, nil
}

// checkBusy returns DuplicateRequest when an operation on the target is in progress.
func checkBusy(tx cloudmap.ReadTx, key, what string) error {
	opID, err := getString(tx, key)
	if err != nil || opID == "" {
		return err
	}
	return cloudmap.Errorf(cloudmap.ErrDuplicateRequest,
		"operation %s on %s is still in progress", opID, what).With("DuplicateOperationId", opID)
}

// commit runs fn in one Store.Update and, for the synchronous operations
// whose effect the view serves (CreateService, DeleteService, custom
// health), waits until the view has applied the commit, so the next
// discovery call or DNS query already sees it.
func (r *Registry) commit(ctx context.Context, fn func(tx cloudmap.Tx) error) (int64, error) {
	rev, err := r.store.Update(ctx, fn)
	if err != nil {
		return rev, err
	}
	if err := r.waitApplied(ctx, rev); err != nil {
		return rev, fmt.Errorf("registry: %w", err)
	}
	return rev, nil
}
