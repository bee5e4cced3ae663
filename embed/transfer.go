package embed

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cloudmap/cloudmap"
	"github.com/cloudmap/cloudmap/bolt"
	"github.com/cloudmap/cloudmap/etcd"
	"github.com/cloudmap/cloudmap/transfer"
)

// transferTimeout bounds each etcd call of an export or import: an export
// reads the whole prefix in one call.
const transferTimeout = 30 * time.Minute

// Batches of an import: what one etcd transaction takes (etcd's default
// --max-txn-ops is 128), and a size that keeps bolt commits short.
const (
	importBatchEtcd = 100
	importBatchBolt = 10_000
)

// openOffline opens the store of cfg for a tool: the data dir of a stopped
// server, or the etcd prefix.
func openOffline(ctx context.Context, cfg Config) (cloudmap.Store, error) {
	if len(cfg.EtcdEndpoints) > 0 {
		ecfg := etcdConfig(cfg)
		ecfg.RequestTimeout = transferTimeout
		return etcd.Open(ctx, ecfg)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, bolt.FileName)); err != nil {
		return nil, fmt.Errorf("no store in data dir %s: %w", cfg.DataDir, err)
	}
	st, err := bolt.Open(cfg.DataDir, discard(cfg.Logger))
	if err != nil {
		return nil, fmt.Errorf("%w (is a server running on this data dir? stop it first)", err)
	}
	return st, nil
}

func discard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// Export writes every record of the store of cfg (the data dir of a
// stopped server, or the etcd prefix) to w as JSON lines (see package
// transfer).
func Export(ctx context.Context, cfg Config, w io.Writer) (transfer.Stats, error) {
	st, err := openOffline(ctx, cfg)
	if err != nil {
		return transfer.Stats{}, err
	}
	defer st.Close()
	return transfer.Export(ctx, st, w)
}

// Import loads an export into the store of cfg: an empty (or absent) data
// dir, or an empty etcd prefix. It reads the whole file first (open is
// called once per pass) and writes nothing when it is malformed or
// truncated. Into a data dir it writes a new store beside it and renames it
// into place, so a failure leaves no store; on etcd a failed write deletes
// what was written. Importing the same file again changes nothing and
// returns imported false.
func Import(ctx context.Context, cfg Config, open func() (io.Reader, error)) (records int64, imported bool, err error) {
	r, err := open()
	if err != nil {
		return 0, false, err
	}
	records, rev, err := transfer.Check(r)
	if err != nil {
		return 0, false, err
	}
	if len(cfg.EtcdEndpoints) > 0 {
		st, err := openOffline(ctx, cfg)
		if err != nil {
			return records, false, err
		}
		defer st.Close()
		imported, err = transfer.Import(ctx, st, open, importBatchEtcd)
		return records, imported, err
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, bolt.FileName)); err == nil {
		st, err := openOffline(ctx, cfg)
		if err != nil {
			return records, false, err
		}
		defer st.Close()
		imported, err = transfer.Import(ctx, st, open, importBatchBolt)
		return records, imported, err
	}
	return records, true, importNewDir(ctx, cfg, open, rev)
}

// importNewDir imports into a new store in a temporary directory inside
// the data dir, then renames its file into place.
func importNewDir(ctx context.Context, cfg Config, open func() (io.Reader, error), rev int64) (err error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir %s: %w", cfg.DataDir, err)
	}
	tmp, err := os.MkdirTemp(cfg.DataDir, ".import-")
	if err != nil {
		return fmt.Errorf("data dir %s: %w", cfg.DataDir, err)
	}
	defer os.RemoveAll(tmp)
	st, err := bolt.Open(tmp, discard(cfg.Logger))
	if err != nil {
		return err
	}
	defer func() {
		if st != nil {
			st.Close()
		}
	}()
	if err := st.StartAt(rev); err != nil {
		return err
	}
	if _, err := transfer.Import(ctx, st, open, importBatchBolt); err != nil {
		return err
	}
	cerr := st.Close()
	st = nil
	if cerr != nil {
		return cerr
	}
	if err := os.Rename(filepath.Join(tmp, bolt.FileName), filepath.Join(cfg.DataDir, bolt.FileName)); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return nil
}

// BackupDir writes a backup of the data dir of a stopped server to w.
func BackupDir(dir string, w io.Writer) (rev, n int64, err error) {
	return bolt.BackupDir(dir, w)
}

// Restore writes a backup as the store of dir (see bolt.Restore).
func Restore(r io.Reader, dir string, force bool) (int64, error) {
	return bolt.Restore(r, dir, force)
}
