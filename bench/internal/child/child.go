// Package child runs a cloudmap server in a child process for the
// benchmarks, so that the memory and CPU they report are the server's
// alone: the benchmark binary starts itself again with -child, the child
// serves on a free loopback port and reports its figures on request.
package child

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/cloudmap/cloudmap/embed"
)

// Flag is the command-line flag that makes the benchmark binary a child.
const Flag = "-child"

// IsChild reports whether this process was started as a child.
func IsChild() bool { return len(os.Args) > 1 && os.Args[1] == Flag }

// ServeIfChild is the first line of a benchmark's main: in the child it
// serves with maxConns API connections and exits; in the parent it returns.
func ServeIfChild(maxConns int) {
	if !IsChild() {
		return
	}
	if err := Serve(maxConns); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// Serve is the child's main: a cloudmap server on a free loopback port
// with a data directory given as the next argument and maxConns API
// connections, printing its URL, then its stats whenever a line arrives on
// stdin, until stdin ends.
func Serve(maxConns int) error {
	if len(os.Args) < 3 {
		return errors.New("child: data dir missing")
	}
	cfg := embed.DefaultConfig()
	cfg.APIAddr, cfg.DNSAddr, cfg.DataDir = "127.0.0.1:0", "", os.Args[2]
	// One load generator on one address holds every connection.
	cfg.MaxConnections, cfg.MaxConnectionsPerClient = maxConns, maxConns
	srv, err := embed.Start(context.Background(), cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Println("URL", srv.APIURL())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var ms runtime.MemStats
		cmd, arg, _ := strings.Cut(in.Text(), " ")
		switch cmd {
		case "gc":
			debug.FreeOSMemory() // a collection, and free pages back to the OS: RSS is what is live
		case "settled":
			// What sync.Pool holds moves to its victim cache at a
			// collection and is freed at the next: after two, neither the
			// pools' buffers of a past burst of requests nor their garbage
			// count.
			runtime.GC()
			debug.FreeOSMemory()
		case "cpu":
			profile(arg, pprof.StartCPUProfile)
		case "cpustop":
			pprof.StopCPUProfile()
		case "heap":
			runtime.GC()
			profile(arg, func(w io.Writer) error { return pprof.Lookup("heap").WriteTo(w, 0) })
		}
		runtime.ReadMemStats(&ms)
		fmt.Println("STATS", rss(), ms.HeapInuse, ms.StackInuse, runtime.NumGoroutine(), int64(cpu()), fds(), ms.HeapAlloc)
	}
	return nil
}

// profile writes a profile into a new file at path (the CPU profile is
// closed when the process ends).
func profile(path string, write func(io.Writer) error) {
	f, err := os.Create(path)
	if err == nil {
		err = write(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: profile:", err)
	}
}

// Stats is one reading of the child.
type Stats struct {
	RSS, Heap, Stack uint64 // Heap: in use (spans holding any object)
	Live             uint64 // bytes of the heap's objects (live ones only after a collection)
	Goroutines       int
	CPU              time.Duration // user + system time so far
	FDs              int           // open file descriptors (Linux; 0 elsewhere)
}

// Server is a running child.
type Server struct {
	URL   string
	stdin io.WriteCloser
	out   *bufio.Scanner
	dir   string
	done  chan struct{}
}

// Start starts the child.
func Start() (*Server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cloudmap-bench-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, Flag, dir)
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{stdin: stdin, out: bufio.NewScanner(stdout), dir: dir, done: make(chan struct{})}
	go func() { cmd.Wait(); os.RemoveAll(dir); close(s.done) }()
	if !s.out.Scan() || !strings.HasPrefix(s.out.Text(), "URL ") {
		s.Stop()
		return nil, errors.New("child: the server did not start")
	}
	s.URL = strings.TrimPrefix(s.out.Text(), "URL ")
	return s, nil
}

// Stats reads the child's figures; gc runs a collection first (for memory).
func (s *Server) Stats(gc bool) Stats {
	cmd := "stats"
	if gc {
		cmd = "gc"
	}
	fmt.Fprintln(s.stdin, cmd)
	return s.read()
}

// read reads one stats line.
func (s *Server) read() Stats {
	var st Stats
	var cpu int64
	if s.out.Scan() {
		fmt.Sscanf(s.out.Text(), "STATS %d %d %d %d %d %d %d", &st.RSS, &st.Heap, &st.Stack, &st.Goroutines, &cpu, &st.FDs, &st.Live)
	}
	st.CPU = time.Duration(cpu)
	return st
}

// Settled reads the child's figures after two collections: the memory
// still held once the buffers pooled during a burst of requests are freed
// (sync.Pool frees them at the second collection; a server does so within
// two GC cycles, at most about four minutes when idle).
func (s *Server) Settled() Stats {
	fmt.Fprintln(s.stdin, "settled")
	return s.read()
}

// CPUProfile starts (path not empty) or stops (path empty) a CPU profile
// of the child into path.
func (s *Server) CPUProfile(path string) {
	if path == "" {
		s.command("cpustop")
	} else {
		s.command("cpu " + path)
	}
}

// HeapProfile writes a heap profile of the child (after a collection) to path.
func (s *Server) HeapProfile(path string) { s.command("heap " + path) }

// command sends one command and skips its stats line.
func (s *Server) command(cmd string) {
	fmt.Fprintln(s.stdin, cmd)
	s.out.Scan()
}

// Stop ends the child (it returns at the end of its stdin) and waits.
func (s *Server) Stop() {
	s.stdin.Close()
	<-s.done
}

// rss is the resident set of this process in bytes (Linux), else the
// memory the Go runtime holds from the OS.
func rss() uint64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Sys
}

// fds counts the open file descriptors of this process (Linux).
func fds() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(entries)
}
