package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cloudmap/cloudmap/embed"
)

// The operator commands: backup, restore, export, import. Each parses its
// own flags (with CLOUDMAP_<FLAG> environment variables like serve) and
// returns an exit code.

// toolFlags is a flag set whose errors and help go to stderr.
func toolFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("cloudmap "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseTool parses args and the environment; done is true when the command
// must exit with code.
func parseTool(fs *flag.FlagSet, args []string, getenv func(string) string, stderr io.Writer) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, true
		}
		return 2, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return 2, true
	}
	if err := applyEnv(fs, getenv); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return 2, true
	}
	return 0, false
}

func fail(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "cloudmap %s: %v\n", cmd, err)
	return 1
}

// backup writes a backup of a running server (through its admin listener)
// or of the data dir of a stopped one to --out.
func backup(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := toolFlags("backup", stderr)
	admin := fs.String("admin-addr", "", "admin listener (HOST:PORT) of a running server")
	token := fs.String("admin-token", "", "bearer token of that admin listener")
	dataDir := fs.String("data-dir", "", "data dir of a stopped server (instead of --admin-addr)")
	out := fs.String("out", "", "file to write the backup to")
	if code, done := parseTool(fs, args, getenv, stderr); done {
		return code
	}
	if *out == "" || (*admin == "") == (*dataDir == "") {
		fmt.Fprintln(stderr, "cloudmap backup: want --out FILE and one of --admin-addr HOST:PORT or --data-dir DIR")
		return 2
	}
	start := time.Now()
	var rev, n int64
	err := writeFile(*out, func(w io.Writer) (err error) {
		if *admin != "" {
			rev, n, err = backupOnline(*admin, *token, w)
		} else {
			rev, n, err = embed.BackupDir(*dataDir, w)
		}
		return err
	})
	if err != nil {
		return fail(stderr, "backup", err)
	}
	fmt.Fprintf(stdout, "backup of revision %d written to %s (%d bytes, %s)\n", rev, *out, n, time.Since(start).Round(time.Millisecond))
	return 0
}

// backupOnline streams GET /backup of the admin listener at addr into w.
// The revision trailer comes last: without it the copy is incomplete.
func backupOnline(addr, token string, w io.Writer) (rev, n int64, err error) {
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/backup", nil)
	if err != nil {
		return 0, 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return 0, 0, fmt.Errorf("GET /backup: %s: %s", resp.Status, msg)
	}
	if n, err = io.Copy(w, resp.Body); err != nil {
		return 0, n, fmt.Errorf("GET /backup: the copy was cut after %d bytes: %w", n, err)
	}
	if _, err := fmt.Sscan(resp.Trailer.Get("X-Cloudmap-Revision"), &rev); err != nil {
		return 0, n, fmt.Errorf("GET /backup: no revision trailer after %d bytes: the copy is incomplete", n)
	}
	return rev, n, nil
}

// writeFile writes path through a temporary file renamed into place, so
// a failure leaves no partial file under the name.
func writeFile(path string, fn func(io.Writer) error) error {
	if path == "-" {
		return fn(os.Stdout)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	err = fn(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// restore writes a backup as the store of a new data dir.
func restore(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := toolFlags("restore", stderr)
	in := fs.String("in", "", "backup file")
	dataDir := fs.String("data-dir", "", "data dir to write")
	force := fs.Bool("force", false, "replace the store a non-empty data dir holds")
	if code, done := parseTool(fs, args, getenv, stderr); done {
		return code
	}
	if *in == "" || *dataDir == "" {
		fmt.Fprintln(stderr, "cloudmap restore: want --in FILE and --data-dir DIR")
		return 2
	}
	f, err := os.Open(*in)
	if err != nil {
		return fail(stderr, "restore", err)
	}
	defer f.Close()
	rev, err := embed.Restore(f, *dataDir, *force)
	if err != nil {
		return fail(stderr, "restore", err)
	}
	fmt.Fprintf(stdout, "restored revision %d into %s\n", rev, *dataDir)
	return 0
}

// storeFlags are the flags naming a store for export and import.
func storeFlags(fs *flag.FlagSet) func() embed.Config {
	cfg := embed.DefaultConfig()
	cfg.DataDir = ""
	var endpoints string
	fs.StringVar(&cfg.DataDir, "data-dir", "", "data dir of the embedded store (of a stopped server)")
	fs.StringVar(&endpoints, "etcd-endpoints", "", "comma-separated etcd endpoints (instead of --data-dir)")
	fs.StringVar(&cfg.EtcdPrefix, "etcd-prefix", cfg.EtcdPrefix, "key prefix in etcd")
	fs.StringVar(&cfg.EtcdCert, "etcd-cert", "", "client certificate for etcd")
	fs.StringVar(&cfg.EtcdKey, "etcd-key", "", "client key for etcd")
	fs.StringVar(&cfg.EtcdCA, "etcd-ca", "", "CA bundle for etcd")
	fs.StringVar(&cfg.EtcdUsername, "etcd-username", "", "etcd user")
	fs.StringVar(&cfg.EtcdPassword, "etcd-password", "", "etcd password")
	return func() embed.Config {
		for _, e := range strings.Split(endpoints, ",") {
			if e = strings.TrimSpace(e); e != "" {
				cfg.EtcdEndpoints = append(cfg.EtcdEndpoints, e)
			}
		}
		return cfg
	}
}

// export writes every record of a store as JSON lines.
func export(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := toolFlags("export", stderr)
	store := storeFlags(fs)
	out := fs.String("out", "-", "file to write (- for standard output)")
	if code, done := parseTool(fs, args, getenv, stderr); done {
		return code
	}
	cfg := store()
	if (cfg.DataDir == "") == (len(cfg.EtcdEndpoints) == 0) {
		fmt.Fprintln(stderr, "cloudmap export: want one of --data-dir DIR or --etcd-endpoints HOSTS")
		return 2
	}
	start := time.Now()
	err := writeFile(*out, func(w io.Writer) error {
		st, err := embed.Export(context.Background(), cfg, w)
		if err == nil && *out != "-" {
			fmt.Fprintf(stdout, "exported %d records at revision %d to %s in %s\n", st.Records, st.Revision, *out,
				time.Since(start).Round(time.Millisecond))
		}
		return err
	})
	if err != nil {
		return fail(stderr, "export", err)
	}
	return 0
}

// import_ loads an export into an empty data dir or etcd prefix.
func import_(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := toolFlags("import", stderr)
	store := storeFlags(fs)
	in := fs.String("in", "", "export file (JSON lines)")
	if code, done := parseTool(fs, args, getenv, stderr); done {
		return code
	}
	cfg := store()
	if *in == "" || (cfg.DataDir == "") == (len(cfg.EtcdEndpoints) == 0) {
		fmt.Fprintln(stderr, "cloudmap import: want --in FILE and one of --data-dir DIR or --etcd-endpoints HOSTS")
		return 2
	}
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	open := func() (io.Reader, error) {
		f, err := os.Open(*in)
		if err == nil {
			files = append(files, f)
		}
		return f, err
	}
	start := time.Now()
	n, imported, err := embed.Import(context.Background(), cfg, open)
	if err != nil {
		return fail(stderr, "import", err)
	}
	if !imported {
		fmt.Fprintf(stdout, "the target already holds the %d records of %s: nothing to do\n", n, *in)
		return 0
	}
	fmt.Fprintf(stdout, "imported %d records from %s in %s\n", n, *in, time.Since(start).Round(time.Millisecond))
	return 0
}
