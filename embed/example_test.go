package embed_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/cloudmap/cloudmap/embed"
)

// Start a cloudmap server on free loopback ports with its data in a
// temporary directory, and stop it.
func ExampleStart() {
	dir, err := os.MkdirTemp("", "cloudmap-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	cfg := embed.DefaultConfig()
	cfg.APIAddr, cfg.DNSAddr, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", dir
	srv, err := embed.Start(context.Background(), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	fmt.Println(strings.HasPrefix(srv.APIURL(), "http://127.0.0.1:"), srv.DNSAddr() != "")
	// Output: true true
}
