// Command cloudmap is a self-hostable AWS Cloud Map: the Cloud Map API, an
// authoritative DNS server and health checks in one binary.
//
//	cloudmap serve [flags]   run the server (cloudmap serve -h lists the flags)
//	cloudmap backup          back up a running server or a stopped one's data dir
//	cloudmap restore         write a new data dir from a backup
//	cloudmap export          write every record as JSON lines (data dir or etcd)
//	cloudmap import          load an export into an empty data dir or etcd prefix
//	cloudmap version         print the version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/cloudmap/cloudmap/embed"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr, sigs))
}

// run is main without the process: it returns the exit code.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer, sigs <-chan os.Signal) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	switch args[0] {
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "cloudmap", version)
		return 0
	case "serve":
		return serve(args[1:], getenv, stderr, sigs)
	case "backup":
		return backup(args[1:], getenv, stdout, stderr)
	case "restore":
		return restore(args[1:], getenv, stdout, stderr)
	case "export":
		return export(args[1:], getenv, stdout, stderr)
	case "import":
		return import_(args[1:], getenv, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "cloudmap: unknown command %q\n%s\n", args[0], usage)
		return 2
	}
}

const usage = "usage: cloudmap serve|backup|restore|export|import [flags] | cloudmap version (cloudmap COMMAND -h lists the flags)"

func serve(args []string, getenv func(string) string, stderr io.Writer, sigs <-chan os.Signal) int {
	cfg, err := parseServeFlags(args, getenv, stderr)
	cfg.Version = version
	if err != nil {
		if err == errHelp {
			return 0
		}
		fmt.Fprintln(stderr, "cloudmap:", err)
		return 2
	}
	if len(cfg.EtcdEndpoints) == 0 {
		if err := embed.CheckDataDir(cfg.DataDir); err != nil {
			cfg.Logger.Error("cannot start", "err", err)
			return 1
		}
	}
	srv, err := embed.Start(context.Background(), cfg)
	if err != nil {
		cfg.Logger.Error("cannot start", "err", err)
		return 1
	}
	for sig := range sigs {
		if sig == syscall.SIGHUP {
			if err := srv.Reload(); err != nil {
				cfg.Logger.Error("reload failed", "err", err)
			}
			continue
		}
		cfg.Logger.Info("shutting down", "signal", sig.String())
		break
	}
	if err := srv.Close(); err != nil {
		cfg.Logger.Error("shutdown", "err", err)
		return 1
	}
	cfg.Logger.Info("stopped")
	return 0
}
