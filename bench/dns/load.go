// Package dns measures DNS query throughput over UDP on loopback: a load
// generator (Run), a trivial reference responder (StartTrivial) that is the
// ceiling, and Compare, which measures cloudmap's dnsserver against that
// ceiling in one run. See README.md for the commands.
package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Config is one load run. The run stops at Duration or after MaxQueries,
// whichever comes first.
type Config struct {
	// Addr is the UDP address of the server under test.
	Addr string
	// Workers is the number of concurrent clients, each with its own socket
	// and one query in flight (default 16).
	Workers int
	// Duration bounds the run (default 5s).
	Duration time.Duration
	// MaxQueries bounds the number of queries sent (0: only Duration).
	MaxQueries int64
	// Timeout is how long a worker waits for a reply before counting the
	// query lost (default 1s).
	Timeout time.Duration
	// Queries are the packed queries to send, round robin (their ID is
	// overwritten); default: one A query for "svc.bench.local.".
	Queries [][]byte
}

// Result is what a run measured.
type Result struct {
	Sent, Received, Lost int64
	// Errors counts replies that were not NOERROR or were truncated, and
	// socket errors.
	Errors  int64
	Elapsed time.Duration
}

// QPS is the rate of answered queries.
func (r Result) QPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Received) / r.Elapsed.Seconds()
}

// String formats the result on one line.
func (r Result) String() string {
	return fmt.Sprintf("%.0f qps: sent %d, received %d, lost %d, errors %d in %s",
		r.QPS(), r.Sent, r.Received, r.Lost, r.Errors, r.Elapsed.Round(time.Millisecond))
}

// PackQuery packs an A (or other qtype) query for name without EDNS0.
func PackQuery(name string, qtype uint16) []byte {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	b, err := q.Pack()
	if err != nil {
		panic(fmt.Sprintf("bench/dns: pack %s: %v", name, err)) // names come from the program
	}
	return b
}

// Run sends queries from cfg.Workers sockets until the time or count bound
// and counts replies, losses (no reply within Timeout) and errors.
func Run(ctx context.Context, cfg Config) Result {
	if cfg.Workers <= 0 {
		cfg.Workers = 16
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 5 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Second
	}
	if len(cfg.Queries) == 0 {
		cfg.Queries = [][]byte{PackQuery("svc.bench.local.", dns.TypeA)}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var res Result
	var budget atomic.Int64
	budget.Store(cfg.MaxQueries)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			worker(ctx, cfg, w, &budget, &res)
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}

// worker runs one closed-loop client: send, wait for the reply with the
// same ID (or Timeout), repeat.
func worker(ctx context.Context, cfg Config, w int, budget *atomic.Int64, res *Result) {
	conn, err := net.Dial("udp", cfg.Addr)
	if err != nil {
		atomic.AddInt64(&res.Errors, 1)
		return
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
	defer stop()
	pkt := make([]byte, 0, 512)
	in := make([]byte, 65535)
	var sent, recv, lost, errs int64
	defer func() {
		atomic.AddInt64(&res.Sent, sent)
		atomic.AddInt64(&res.Received, recv)
		atomic.AddInt64(&res.Lost, lost)
		atomic.AddInt64(&res.Errors, errs)
	}()
	for i := w; ctx.Err() == nil; i++ {
		if cfg.MaxQueries > 0 && budget.Add(-1) < 0 {
			return
		}
		q := cfg.Queries[i%len(cfg.Queries)]
		pkt = append(pkt[:0], q...)
		id := uint16(i)
		pkt[0], pkt[1] = byte(id>>8), byte(id)
		if _, err := conn.Write(pkt); err != nil {
			errs++
			continue
		}
		sent++
		conn.SetReadDeadline(time.Now().Add(cfg.Timeout))
		for {
			n, err := conn.Read(in)
			if err != nil {
				if ctx.Err() != nil {
					sent-- // cut off by the end of the run, not lost
				} else if errors.Is(err, os.ErrDeadlineExceeded) {
					lost++
				} else {
					errs++
				}
				break
			}
			if n < 12 || in[0] != pkt[0] || in[1] != pkt[1] {
				continue // a late reply to an earlier, lost query
			}
			recv++
			if in[3]&0x0F != 0 || in[2]&0x02 != 0 {
				errs++
			}
			break
		}
	}
}
