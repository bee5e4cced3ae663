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
	var logLevel, logFormat string
	fs := newServeFlags(&cfg, &logLevel, &logFormat, stderr)
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
	cfg.Logger, err = newLogger(stderr, logFormat, level)
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// newServeFlags is the flag set of `cloudmap serve`: every embed.Config
// flag (embed.Config.AddFlags), and --log-level and --log-format, which
// build the logger.
func newServeFlags(cfg *embed.Config, logLevel, logFormat *string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("cloudmap serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.AddFlags(fs)
	fs.StringVar(logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(logFormat, "log-format", "text", "log format: text or json")
	return fs
}

// newLogger returns the logger of format "text" or "json".
func newLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", format)
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
