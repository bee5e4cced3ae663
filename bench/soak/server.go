package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// server is a cloudmap process started for one phase.
type server struct {
	cmd     *exec.Cmd
	api     string // http://127.0.0.1:port
	dns     string // 127.0.0.1:port
	dir     string
	keyID   string
	secret  string
	stopped chan struct{}
}

// buildServer builds cmd/cloudmap into dir and returns the binary's path.
func buildServer(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "cloudmap")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/cloudmap/cloudmap/cmd/cloudmap")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build cloudmap: %w", err)
	}
	return bin, nil
}

// startServer runs bin on loopback with keys, a data dir of its own and
// the DNS response rate limit DNS has by default beyond loopback; it
// returns once the server logs that it is ready.
func startServer(ctx context.Context, bin, dir string, dnsRate int) (*server, error) {
	s := &server{dir: dir, keyID: "AKIDSOAK", secret: "soak-secret", stopped: make(chan struct{})}
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, []byte("[admin]\naws_access_key_id = "+s.keyID+
		"\naws_secret_access_key = "+s.secret+"\n"), 0o600); err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "serve", "--api-addr", "127.0.0.1:0", "--dns-addr", "127.0.0.1:0",
		"--data-dir", filepath.Join(dir, "data"), "--credentials-file", creds, "--log-level", "info",
		"--health-check-interval", "2s", "--dns-rate-limit", strconv.Itoa(dnsRate))
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.cmd.Wait(); close(s.stopped) }()
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "cloudmap ready") {
				ready <- line
				continue
			}
			if strings.Contains(line, "level=ERROR") {
				fmt.Fprintln(os.Stderr, "server:", line)
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case line := <-ready:
		s.api, s.dns = field(line, "api="), field(line, "dns=")
		return s, nil
	case <-s.stopped:
		return nil, errors.New("cloudmap exited before it was ready")
	case <-time.After(60 * time.Second):
		s.stop()
		return nil, errors.New("cloudmap not ready after 60 s")
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
}

// stop ends the server (SIGTERM, then kill after 10 s).
func (s *server) stop() {
	if s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.stopped:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.stopped
	}
}

// rss is the server's resident set size in bytes (Linux), or 0.
func (s *server) rss() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// field returns the value after key up to the next space in s.
func field(s, key string) string {
	i := strings.Index(s, key)
	if i < 0 {
		return ""
	}
	v := s[i+len(key):]
	if j := strings.IndexAny(v, " \n"); j >= 0 {
		v = v[:j]
	}
	return strings.Trim(v, `"`)
}
