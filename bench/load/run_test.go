package load

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// testServer is a small gobwas/ws server on 127.0.0.1 with /echo,
// /broadcast and /pubsub?topic=T (one topic: subscribe, and publish to its
// subscribers, the sender included), and a /slow path that answers 404 to
// every upgrade.
type testServer struct {
	ln      net.Listener
	mu      sync.Mutex
	clients map[net.Conn]*testClient
	wg      sync.WaitGroup
}

type testClient struct {
	mu    sync.Mutex
	topic string // pubsub; "" elsewhere
}

func startServer(t *testing.T) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{ln: ln, clients: map[net.Conn]*testClient{}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.serve(c) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		for c := range s.clients {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *testServer) serve(c net.Conn) {
	defer c.Close()
	var path string
	u := ws.Upgrader{OnRequest: func(uri []byte) error {
		path = string(uri)
		if path == "/missing" {
			return ws.RejectConnectionError(ws.RejectionStatus(404))
		}
		return nil
	}}
	if _, err := u.Upgrade(c); err != nil {
		return
	}
	me := &testClient{}
	if p, q, ok := strings.Cut(path, "?topic="); ok && p == "/pubsub" {
		me.topic = q
	}
	mu := &me.mu
	s.mu.Lock()
	s.clients[c] = me
	s.mu.Unlock()
	defer func() { s.mu.Lock(); delete(s.clients, c); s.mu.Unlock() }()
	for {
		f, err := ws.ReadFrame(c)
		if err != nil {
			return
		}
		if f.Header.Masked {
			ws.Cipher(f.Payload, f.Header.Mask, 0)
		}
		if f.Header.OpCode == ws.OpClose {
			mu.Lock()
			_, _ = c.Write(ws.CompiledClose)
			mu.Unlock()
			return
		}
		frame := ws.MustCompileFrame(ws.NewFrame(f.Header.OpCode, true, f.Payload))
		if path != "/broadcast" && me.topic == "" {
			mu.Lock()
			_, err = c.Write(frame)
			mu.Unlock()
			if err != nil {
				return
			}
			continue
		}
		s.mu.Lock()
		for o, oc := range s.clients {
			if me.topic == "" && o != c || me.topic != "" && oc.topic == me.topic {
				oc.mu.Lock()
				_, _ = o.Write(frame)
				oc.mu.Unlock()
			}
		}
		s.mu.Unlock()
	}
}

func TestRunScenarios(t *testing.T) {
	s := startServer(t)
	addr := s.ln.Addr().String()
	pid := os.Getpid()
	tests := []struct {
		name  string
		cfg   Config
		check func(t *testing.T, r Result)
	}{
		{"echo small", Config{Scenario: Echo, Path: "/echo", Conns: 20, Size: 64}, func(t *testing.T, r Result) {
			if r.Conns != 20 || r.Count == 0 || r.Rate <= 0 || r.P50 <= 0 || r.P99 < r.P50 {
				t.Fatalf("%+v", r)
			}
		}},
		{"echo fragmented reads", Config{Scenario: Echo, Path: "/echo", Conns: 3, Size: 200 << 10}, func(t *testing.T, r Result) {
			if r.Count == 0 {
				t.Fatalf("%+v", r)
			}
		}},
		{"idle", Config{Scenario: Idle, Path: "/echo", Conns: 50, Settle: 50 * time.Millisecond}, func(t *testing.T, r Result) {
			if r.Conns != 50 || r.Alive != 50 || r.RSSAfter <= 0 {
				t.Fatalf("%+v", r)
			}
		}},
		{"upgrade", Config{Scenario: Upgrade, Path: "/echo", Conns: 4}, func(t *testing.T, r Result) {
			if r.Count < 10 || r.P50 <= 0 {
				t.Fatalf("%+v", r)
			}
		}},
		{"broadcast", Config{Scenario: Broadcast, Path: "/broadcast", Conns: 30, Size: 64}, func(t *testing.T, r Result) {
			if r.Conns != 30 || r.Count == 0 || r.Count%30 > 30*4 || r.Lost != 0 || r.P50 <= 0 {
				t.Fatalf("%+v", r)
			}
		}},
		{"pubsub", Config{Scenario: PubSub, Path: "/pubsub", Conns: 30, Topics: 3, Window: 12, Size: 64}, func(t *testing.T, r Result) {
			if r.Conns != 30 || r.Topics != 3 || r.Count == 0 || r.Lost != 0 || r.P50 <= 0 {
				t.Fatalf("%+v", r)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Addr, cfg.PID = addr, pid
			cfg.Duration, cfg.Warmup = 200*time.Millisecond, 50*time.Millisecond
			cfg.Deadline = 10 * time.Second
			r, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatalf("%v: %+v", err, r)
			}
			if r.Failed != 0 || r.Dropped != 0 || r.Errors != 0 {
				t.Fatalf("failures: %+v", r)
			}
			tc.check(t, r)
		})
	}
}

func TestRunFailures(t *testing.T) {
	s := startServer(t)
	addr := s.ln.Addr().String()
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"not loopback", Config{Scenario: Echo, Addr: "10.0.0.1:80", Path: "/echo"}, ErrNotLoopback},
		{"bad scenario", Config{Scenario: "x", Addr: addr, Path: "/echo"}, ErrConfig},
		{"bad path", Config{Scenario: Echo, Addr: addr, Path: "echo"}, ErrConfig},
		{"size too small", Config{Scenario: Echo, Addr: addr, Path: "/echo", Size: 8}, ErrConfig},
		{"rejected upgrade", Config{Scenario: Echo, Addr: addr, Path: "/missing", Conns: 5}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Deadline = 5 * time.Second
			r, err := Run(context.Background(), tc.cfg)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				return
			}
			if err == nil || r.Failed != 5 || r.Conns != 0 {
				t.Fatalf("rejected upgrades: err=%v %+v", err, r)
			}
		})
	}
}

// TestWatchdog runs against a listener that accepts but never answers: the
// run must end at its deadline with ErrWatchdog and close its sockets.
func TestWatchdog(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	start := time.Now()
	_, err = Run(context.Background(), Config{Scenario: Echo, Addr: ln.Addr().String(), Path: "/echo", Conns: 5, Deadline: 300 * time.Millisecond})
	if !errors.Is(err, ErrWatchdog) {
		t.Fatalf("got %v, want ErrWatchdog", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
	// Every client socket is closed: the server side reads EOF.
	mu.Lock()
	defer mu.Unlock()
	for _, c := range held {
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := io.Copy(io.Discard, c); err != nil {
			t.Fatalf("client socket left open: %v", err)
		}
		c.Close()
	}
	if len(held) != 5 {
		t.Fatalf("%d connections accepted", len(held))
	}
}
