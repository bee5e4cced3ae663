package main

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/cloudmap/cloudmap/embed"
)

// TestREADME_ListsEveryFlag checks that a table row of README.md names every
// flag of `cloudmap serve`, so a flag cannot be added without its
// documentation (CoreDNS test/readme_test.go does the same for plugins).
func TestREADME_ListsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "|") {
			rows = append(rows, line)
		}
	}
	table := strings.Join(rows, "\n")
	cfg := embed.DefaultConfig()
	var level, format string
	n := 0
	newServeFlags(&cfg, &level, &format, &bytes.Buffer{}).VisitAll(func(f *flag.Flag) {
		n++
		if !strings.Contains(table, "`--"+f.Name+"`") {
			t.Errorf("README.md has no table row naming `--%s` (%s)", f.Name, f.Usage)
		}
	})
	if n < 29 {
		t.Errorf("serve has %d flags, want at least 29: the flag set is not the one serve uses", n)
	}
}
