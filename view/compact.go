package view

import (
	"strings"
	"sync"

	"github.com/cloudmap/cloudmap"
)

// Memory per instance. A decoded instance would otherwise keep alive the
// whole record it was sliced from (its JSON, about 230 bytes for 4
// attributes, most of it member names and punctuation) and the store key
// its id came from. scanInstance slices the record's bytes without copying
// them, and compactInstance copies what the view keeps (the id,
// the request token, the attribute values) into one string of their
// length, and takes attribute names and the account from a small table of
// interned strings, since every instance repeats them. At 1,000,000
// instances of 4 attributes this is about 150 bytes less per instance.

// internMax bounds the interned strings; past it strings are copied.
const (
	internMax    = 4096
	internMaxLen = 64
)

var internTab = struct {
	sync.RWMutex
	m map[string]string
}{m: map[string]string{}}

// intern returns the table's copy of s, adding one while the table has
// room.
func intern(s string) string {
	if len(s) > internMaxLen {
		return strings.Clone(s)
	}
	internTab.RLock()
	v, ok := internTab.m[s]
	internTab.RUnlock()
	if ok {
		return v
	}
	internTab.Lock()
	defer internTab.Unlock()
	if v, ok := internTab.m[s]; ok {
		return v
	}
	v = strings.Clone(s)
	if len(internTab.m) < internMax {
		internTab.m[v] = v
	}
	return v
}

// compactInstance makes in hold only its own bytes: id (the instance id
// of its key, which replaces in.Id), the request token and the attribute
// values share one new string; attribute names and the account are
// interned.
func compactInstance(in *cloudmap.Instance, id string) {
	var kbuf [8]string
	keys := kbuf[:0]
	n := len(id) + len(in.CreatorRequestId)
	for k, v := range in.Attributes {
		keys = append(keys, k)
		n += len(v)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(id)
	b.WriteString(in.CreatorRequestId)
	for _, k := range keys {
		b.WriteString(in.Attributes[k])
	}
	s := b.String()
	in.Id, s = s[:len(id)], s[len(id):]
	in.CreatorRequestId, s = s[:len(in.CreatorRequestId)], s[len(in.CreatorRequestId):]
	for _, k := range keys {
		// Assigning an equal key replaces the stored key (Go does so for
		// strings), so the map keeps the interned name, not the record's.
		n := len(in.Attributes[k])
		in.Attributes[intern(k)], s = s[:n], s[n:]
	}
	in.ServiceId = "" // set from the key by whoever keeps the instance
	in.CreatedByAccount = intern(in.CreatedByAccount)
}
