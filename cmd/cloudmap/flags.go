package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/cloudmap/cloudmap/embed"
)

var errHelp = errors.New("help requested")

// parseServeFlags fills an embed.Config from the flags, then from the
// CLOUDMAP_<FLAG> environment variables for flags not given (flag wins).
func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (embed.Config, error) {
	cfg := embed.DefaultConfig()
	var logLevel string
	fs := newServeFlags(&cfg, &logLevel, stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, errHelp
		}
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := applyEnv(fs, getenv); err != nil {
		return cfg, err
	}
	cfg.AccessKeyID = getenv("CLOUDMAP_ACCESS_KEY_ID")
	cfg.SecretAccessKey = getenv("CLOUDMAP_SECRET_ACCESS_KEY")
	level, err := parseLevel(logLevel)
	if err != nil {
		return cfg, err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	return cfg, cfg.Validate()
}

// newServeFlags is the flag set of `cloudmap serve`: every embed.Config
// flag (embed.Config.AddFlags) and --log-level, which builds the logger.
func newServeFlags(cfg *embed.Config, logLevel *string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("cloudmap serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.AddFlags(fs)
	fs.StringVar(logLevel, "log-level", "info", "debug, info, warn or error")
	return fs
}

// applyEnv sets every flag not given on the command line from its
// CLOUDMAP_<FLAG_IN_UPPER_SNAKE> environment variable.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		name := EnvName(f.Name)
		if v := getenv(name); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %v", name, v, e)
			}
		}
	})
	return err
}

// EnvName is the environment variable of a flag: api-addr -> CLOUDMAP_API_ADDR.
func EnvName(flagName string) string {
	return "CLOUDMAP_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", s)
	}
	return l, nil
}
