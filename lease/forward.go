package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/cloudmap/cloudmap"
)

// Renewals received by a node that does not lead are forwarded to the
// leader through the store: once per tick, when it received any, the node
// writes them as one record under PrefixRenewals; the leader reads and
// deletes those records at the start of every sweep and counts each
// renewal in them as made then. So in cluster mode a renewal still writes
// no record of its own, but the renewals a follower receives cost it one
// small write per tick. With the embedded store the only node leads and
// nothing is written.

// PrefixRenewals is the key prefix of forwarded renewals (the view
// ignores it).
const PrefixRenewals = "lease/renew/"

// maxPending bounds the renewals a follower holds between two flushes.
const maxPending = 1 << 20

// maxDeletes bounds the deletions of one transaction (etcd's
// --max-txn-ops is 128 by default).
const maxDeletes = 64

// renewBatch is the record of forwarded renewals: "serviceID/instanceID".
type renewBatch struct {
	Renewed []string
}

func newNodeID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Forward writes the renewals this node receives while it does not lead,
// once per tick, until ctx ends. Without a Store it returns at once.
func (k *Keeper) Forward(ctx context.Context) {
	if k.store == nil {
		return
	}
	t := time.NewTicker(k.tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			k.flush(context.Background()) // what arrived last still counts
			return
		case <-t.C:
			k.flush(ctx)
		}
	}
}

// flush writes the pending renewals as one record.
func (k *Keeper) flush(ctx context.Context) {
	k.mu.Lock()
	if len(k.pending) == 0 {
		k.mu.Unlock()
		return
	}
	b := renewBatch{Renewed: make([]string, 0, len(k.pending))}
	for kk := range k.pending {
		b.Renewed = append(b.Renewed, kk.svc+"/"+kk.inst)
	}
	clear(k.pending)
	k.seq++
	key := fmt.Sprintf("%s%s/%016x", PrefixRenewals, k.node, k.seq)
	k.mu.Unlock()
	_, err := k.store.Update(ctx, func(tx cloudmap.Tx) error { return tx.Put(key, cloudmap.Encode(b)) })
	if err != nil {
		k.log.Warn("lease: forwarding renewals to the leader failed", "renewals", len(b.Renewed), "err", err)
	}
}

// collect reads the forwarded renewals, counts them as renewed at now, and
// deletes their records. Caller does not hold k.mu.
func (k *Keeper) collect(ctx context.Context, now time.Time) {
	if k.store == nil {
		return
	}
	var keys []string
	var renewed []key
	err := k.store.View(ctx, func(tx cloudmap.ReadTx) error {
		keys, renewed = keys[:0], renewed[:0]
		return tx.Range(PrefixRenewals, "", func(rk string, v []byte) bool {
			keys = append(keys, rk)
			var b renewBatch
			if err := cloudmap.Decode(v, &b); err != nil {
				k.log.Warn("lease: skipping an undecodable renewal record", "key", rk, "err", err)
				return true
			}
			for _, s := range b.Renewed {
				if svc, inst, ok := strings.Cut(s, "/"); ok {
					renewed = append(renewed, key{svc, inst})
				}
			}
			return true
		})
	})
	if err != nil {
		k.log.Warn("lease: reading forwarded renewals failed", "err", err)
		return
	}
	k.mu.Lock()
	for _, kk := range renewed {
		if l := k.insts[kk]; l != nil {
			l.renewed, l.expired, l.deregister = now, false, false
		} else {
			k.insts[kk] = &instLease{renewed: now, gen: k.gen}
		}
	}
	k.mu.Unlock()
	for lo := 0; lo < len(keys); lo += maxDeletes {
		chunk := keys[lo:min(lo+maxDeletes, len(keys))]
		_, err := k.store.Update(ctx, func(tx cloudmap.Tx) error {
			for _, rk := range chunk {
				if err := tx.Delete(rk); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			k.log.Warn("lease: deleting forwarded renewals failed", "err", err)
			return
		}
	}
}
