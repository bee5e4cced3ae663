// Package transfer exports a cloudmap store as JSON lines and imports such
// a file into another store: how a user moves from the embedded store to
// etcd and back. It works on cloudmap.Store only, so it reads and writes
// either backend.
//
// # Format
//
// One JSON object per line. The first line is the header, the last the end
// record; between them every key of the store, in key order:
//
//	{"kind":"cloudmap-export","version":1,"revision":1234,"records":3}
//	{"kind":"namespace","key":"ns/ns-abc","value":{...the stored record...}}
//	{"kind":"index","key":"idx/svcname/ns-abc/web","text":"srv-def"}
//	{"kind":"end","records":3}
//
// Each record carries its store key, which holds every id it needs, and the
// stored value unchanged: "value" when it is JSON (namespaces, services,
// instances with their attributes, health, tags, service attributes,
// operations), "text" for the plain strings of indexes and markers, and
// "base64" for anything else. ARNs, dates and ids are inside the values,
// so they survive as they are. A key layout with more levels (per account
// and region) exports the same way: the key says where the record goes.
// "kind" names what the prefix holds, for people reading the file; import
// checks it against the key.
//
// The end record makes a truncated file detectable: import reads and
// checks the whole file before it writes anything.
package transfer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/cloudmap/cloudmap"
)

// Version is the format version in the header.
const Version = 1

const (
	kindHeader = "cloudmap-export"
	kindEnd    = "end"
)

// Header is the first line of an export.
type Header struct {
	Kind    string `json:"kind"`
	Version int    `json:"version"`
}

// record is one line of an export. The end record carries the number of
// records and the source store's revision after they were read: an
// embedded target continues counting from it, so revisions (and
// InstancesRevision) never go back.
type record struct {
	Kind     string          `json:"kind"`
	Key      string          `json:"key,omitempty"`
	Value    json.RawMessage `json:"value,omitempty"`
	Text     *string         `json:"text,omitempty"`
	Base64   string          `json:"base64,omitempty"`
	Records  int64           `json:"records,omitempty"`
	Revision int64           `json:"revision,omitempty"`
}

// kinds maps key prefixes to the kind of their records.
var kinds = []struct{ prefix, kind string }{
	{cloudmap.PrefixNamespace, "namespace"},
	{cloudmap.PrefixService, "service"},
	{cloudmap.PrefixInstance, "instance"},
	{cloudmap.PrefixHealth, "health"},
	{"tag/", "tag"},
	{"attr/", "service-attributes"},
	{"opq/", "operation-queue"},
	{"opst/", "operation-status"},
	{"op/", "operation"},
	{"idx/", "index"},
	{"idem/", "idempotency"},
	{"busy/", "in-progress"},
}

// KindOf is the kind of the record stored under key ("other" for a prefix
// this version does not name).
func KindOf(key string) string {
	for _, k := range kinds {
		if strings.HasPrefix(key, k.prefix) {
			return k.kind
		}
	}
	return "other"
}

// Stats says what an export or import moved.
type Stats struct {
	Revision int64
	Records  int64
	ByKind   map[string]int64
}

// Export writes every key of store to w, read in one View (a consistent
// state of the store), streaming.
func Export(ctx context.Context, store cloudmap.Store, w io.Writer) (Stats, error) {
	st := Stats{ByKind: map[string]int64{}}
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(Header{Kind: kindHeader, Version: Version}); err != nil {
		return st, fmt.Errorf("transfer: export: write: %w", err)
	}
	err := store.View(ctx, func(tx cloudmap.ReadTx) error {
		if st.Records > 0 {
			return errors.New("the store retried a read transaction the export had streamed")
		}
		var ferr error
		err := tx.Range("", "", func(key string, value []byte) bool {
			rec := record{Kind: KindOf(key), Key: key}
			switch {
			case len(value) > 0 && (value[0] == '{' || value[0] == '[') && json.Valid(value):
				rec.Value = value
			case utf8.Valid(value):
				s := string(value)
				rec.Text = &s
			default:
				rec.Base64 = base64.StdEncoding.EncodeToString(value)
			}
			if ferr = enc.Encode(rec); ferr != nil {
				return false
			}
			st.Records++
			st.ByKind[rec.Kind]++
			return true
		})
		return errors.Join(err, ferr)
	})
	if err != nil {
		return st, fmt.Errorf("transfer: export: %w", err)
	}
	if st.Revision, err = store.Revision(ctx); err != nil {
		return st, fmt.Errorf("transfer: export: revision: %w", err)
	}
	if err := enc.Encode(record{Kind: kindEnd, Records: st.Records, Revision: st.Revision}); err != nil {
		return st, fmt.Errorf("transfer: export: write: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return st, fmt.Errorf("transfer: export: write: %w", err)
	}
	return st, nil
}

// KV is one key and its value, as read from an export.
type KV struct {
	Key   string
	Value []byte
}

// Reader reads an export record by record, checking each: the header,
// every record (its kind must match its key, keys strictly increasing, one
// value form) and the end record with the right count. Errors name the
// line and what is wrong with it.
type Reader struct {
	sc       *bufio.Scanner
	line     int64
	n        int64
	last     string
	ended    bool
	revision int64
}

// NewReader returns a Reader of r; it reads the header at once.
func NewReader(r io.Reader) (*Reader, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	rd := &Reader{sc: sc}
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("transfer: line 1: %w", err)
		}
		return nil, errors.New("transfer: the file is empty")
	}
	rd.line = 1
	var hdr Header
	if err := json.Unmarshal(sc.Bytes(), &hdr); err != nil || hdr.Kind != kindHeader {
		return nil, fmt.Errorf("transfer: line 1: not a cloudmap export header (want {\"kind\":%q,...})", kindHeader)
	}
	if hdr.Version != Version {
		return nil, fmt.Errorf("transfer: line 1: format version %d, this cloudmap reads version %d", hdr.Version, Version)
	}
	return rd, nil
}

// Next returns the next record, or io.EOF after the end record (and
// nothing after it).
func (rd *Reader) Next() (KV, error) {
	for rd.sc.Scan() {
		rd.line++
		if rd.ended {
			return KV{}, fmt.Errorf("transfer: line %d: data after the end record", rd.line)
		}
		kv, end, err := parseRecord(rd.sc.Bytes(), rd.n)
		if err != nil {
			return KV{}, fmt.Errorf("transfer: line %d: %w", rd.line, err)
		}
		if end != nil {
			rd.ended, rd.revision = true, end.Revision
			continue
		}
		if rd.n > 0 && rd.last >= kv.Key {
			return KV{}, fmt.Errorf("transfer: line %d: key %q is not after the previous key %q: keys must be unique and in order", rd.line, kv.Key, rd.last)
		}
		rd.n++
		rd.last = kv.Key
		return kv, nil
	}
	if err := rd.sc.Err(); err != nil {
		return KV{}, fmt.Errorf("transfer: line %d: %w", rd.line+1, err)
	}
	if !rd.ended {
		return KV{}, fmt.Errorf("transfer: no end record after line %d: the file is truncated", rd.line)
	}
	return KV{}, io.EOF
}

// Revision is the source revision from the end record (after io.EOF).
func (rd *Reader) Revision() int64 { return rd.revision }

// Check reads a whole export and returns its record count and source
// revision, or the first error.
func Check(r io.Reader) (records, revision int64, err error) {
	rd, err := NewReader(r)
	if err != nil {
		return 0, 0, err
	}
	for {
		if _, err := rd.Next(); err == io.EOF {
			return rd.n, rd.revision, nil
		} else if err != nil {
			return 0, 0, err
		}
	}
}

// parseRecord parses one record line; n is the number of records before it.
func parseRecord(b []byte, n int64) (KV, *record, error) {
	var rec record
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return KV{}, nil, fmt.Errorf("malformed record: %v", err)
	}
	if rec.Kind == kindEnd {
		if rec.Records != n {
			return KV{}, nil, fmt.Errorf("end record counts %d records, the file holds %d: the file is damaged", rec.Records, n)
		}
		return KV{}, &rec, nil
	}
	if rec.Key == "" {
		return KV{}, nil, errors.New("record without a key")
	}
	if want := KindOf(rec.Key); rec.Kind != want {
		return KV{}, nil, fmt.Errorf("record of kind %q has key %q, which holds kind %q", rec.Kind, rec.Key, want)
	}
	forms := 0
	var v []byte
	if rec.Value != nil {
		forms++
		v = bytes.Clone(rec.Value)
	}
	if rec.Text != nil {
		forms++
		v = []byte(*rec.Text)
	}
	if rec.Base64 != "" {
		forms++
		var err error
		if v, err = base64.StdEncoding.DecodeString(rec.Base64); err != nil {
			return KV{}, nil, fmt.Errorf("key %q: base64: %v", rec.Key, err)
		}
	}
	if forms != 1 {
		return KV{}, nil, fmt.Errorf("key %q: want exactly one of value, text, base64", rec.Key)
	}
	return KV{Key: rec.Key, Value: v}, nil, nil
}

// ErrNotEmpty is returned by Import when the target holds other data.
var ErrNotEmpty = errors.New("the target store is not empty")

// Import writes the export in r into store, which must be empty, batch
// records per Update (0: all in one). The file must have passed Check:
// Import reads it again as it writes. When store already holds exactly the
// file's records (the same file imported before) it writes nothing and
// returns imported false: importing is idempotent. Any other content is
// ErrNotEmpty. When a write fails, Import deletes what it wrote, so the
// target is left as it was.
func Import(ctx context.Context, store cloudmap.Store, open func() (io.Reader, error), batch int) (imported bool, err error) {
	n, err := count(ctx, store)
	if err != nil {
		return false, fmt.Errorf("transfer: import: read target: %w", err)
	}
	if n > 0 {
		same, err := holds(ctx, store, open, n)
		if err != nil {
			return false, err
		}
		if same {
			return false, nil
		}
		return false, fmt.Errorf("transfer: import: %w (%d keys): import into an empty data dir or etcd prefix", ErrNotEmpty, n)
	}
	var written []string
	err = eachBatch(open, batch, func(part []KV) error {
		_, err := store.Update(ctx, func(tx cloudmap.Tx) error {
			for _, kv := range part {
				if err := tx.Put(kv.Key, kv.Value); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			for _, kv := range part {
				written = append(written, kv.Key)
			}
		}
		return err
	})
	if err != nil {
		if cerr := undo(context.WithoutCancel(ctx), store, written, batch); cerr != nil {
			return false, fmt.Errorf("transfer: import: %w; removing the %d records written also failed: %v", err, len(written), cerr)
		}
		return false, fmt.Errorf("transfer: import (nothing was left imported): %w", err)
	}
	return true, nil
}

// eachBatch reads the export from open and calls fn with batch records at
// a time.
func eachBatch(open func() (io.Reader, error), batch int, fn func([]KV) error) error {
	r, err := open()
	if err != nil {
		return err
	}
	rd, err := NewReader(r)
	if err != nil {
		return err
	}
	var part []KV
	for {
		kv, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		part = append(part, kv)
		if batch > 0 && len(part) == batch {
			if err := fn(part); err != nil {
				return err
			}
			part = part[:0]
		}
	}
	if len(part) > 0 {
		return fn(part)
	}
	return nil
}

// undo deletes keys from store.
func undo(ctx context.Context, store cloudmap.Store, keys []string, batch int) error {
	if batch <= 0 {
		batch = len(keys)
	}
	for i := 0; i < len(keys); i += batch {
		part := keys[i:min(i+batch, len(keys))]
		if _, err := store.Update(ctx, func(tx cloudmap.Tx) error {
			for _, k := range part {
				if err := tx.Delete(k); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// count returns the number of keys in store.
func count(ctx context.Context, store cloudmap.Store) (int, error) {
	var n int
	err := store.View(ctx, func(tx cloudmap.ReadTx) (err error) {
		n, err = tx.Count("")
		return err
	})
	return n, err
}

// holds reports whether store, holding n keys, holds exactly the export.
func holds(ctx context.Context, store cloudmap.Store, open func() (io.Reader, error), n int) (bool, error) {
	seen, same := 0, true
	err := eachBatch(open, 1000, func(part []KV) error {
		seen += len(part)
		return store.View(ctx, func(tx cloudmap.ReadTx) error {
			for _, kv := range part {
				v, err := tx.Get(kv.Key)
				if errors.Is(err, cloudmap.ErrKeyNotFound) || err == nil && !bytes.Equal(v, kv.Value) {
					same = false
					return nil
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return false, fmt.Errorf("transfer: import: compare with the target: %w", err)
	}
	return same && seen == n, nil
}
