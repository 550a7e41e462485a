//go:build !race

package tlsconn

import (
	"crypto/tls"
	"runtime"
	"testing"
)

// idleCases are the sessions TestIdleSessionMemory holds open: each has
// done its handshake and carried one exchange each way, a small one (an
// upgrade request and its answer) or a large one, then gone quiet. The
// untrimmed cases show what plain crypto/tls keeps.
var idleCases = []struct {
	name    string
	version uint16
	msg     int  // bytes each way after the handshake
	trim    bool // the post-handshake trim of crypto/tls's read buffers
	shrink  bool // Shrink called once the session is idle
	max     int  // bytes per session the test accepts
}{
	{"tls13/small", tls.VersionTLS13, 200, true, false, 4500},
	{"tls13/small/shrunk", tls.VersionTLS13, 200, true, true, 4000},
	{"tls12/small/shrunk", tls.VersionTLS12, 200, true, true, 4000},
	{"tls13/64KiB/shrunk", tls.VersionTLS13, 64 << 10, true, true, 4000},
	{"tls13/small/untrimmed", tls.VersionTLS13, 200, false, false, 8000},
}

// heapInUse is the live heap plus goroutine stacks after a full collection.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc + ms.StackInuse)
}

// TestIdleSessionMemory measures what an established, idle session costs:
// N sessions are kept, their clients dropped, and the heap compared with
// the heap before.
func TestIdleSessionMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 handshakes")
	}
	const n = 2000
	cfg := testConfig(t, "ecdsa-p256")
	for _, tc := range idleCases {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.trim {
				withoutConnBuffers(t)
			}
			ccfg := clientConfig(cfg, tc.version)
			msg := make([]byte, tc.msg)
			sessions := make([]*Session, 0, n)
			defer func() {
				for _, s := range sessions {
					s.Release()
				}
			}()
			before := heapInUse()
			for range n {
				p := newMemPair(cfg, ccfg)
				if err := p.handshake(); err != nil {
					t.Fatal(err)
				}
				req, _ := p.client.Seal(nil, msg)
				if _, _, err := p.server.Feed(req, nil, nil); err != nil {
					t.Fatal(err)
				}
				if _, err := p.server.Seal(nil, msg); err != nil {
					t.Fatal(err)
				}
				if tc.shrink {
					p.server.Shrink()
				}
				p.client.Release()
				sessions = append(sessions, p.server)
			}
			per := (heapInUse() - before) / n
			t.Logf("%d bytes per idle session (%s)", per, tc.name)
			if per > int64(tc.max) {
				t.Errorf("%d bytes per idle session, want at most %d", per, tc.max)
			}
		})
	}
}

// TestHandshakeMemory measures a session parked in the middle of its
// handshake (server flight sent, client Finished awaited): the parked
// coroutine's stack is the price of running crypto/tls unmodified, and
// it is gone once the handshake ends.
func TestHandshakeMemory(t *testing.T) {
	const n = 2000
	cfg := testConfig(t, "ecdsa-p256")
	ccfg := clientConfig(cfg, 0)
	clients := make([]*Session, n)
	hellos := make([][]byte, n)
	for i := range clients {
		clients[i] = newClientSession(ccfg)
		hellos[i], _, _ = clients[i].Feed(nil, nil, nil)
	}
	servers := make([]*Session, n)
	before := heapInUse()
	var out []byte
	for i := range servers {
		servers[i] = NewSession(cfg)
		var err error
		if out, _, err = servers[i].Feed(hellos[i], out[:0], nil); err != nil || len(out) == 0 {
			t.Fatalf("server flight %d bytes, %v", len(out), err)
		}
	}
	per := (heapInUse() - before) / n
	t.Logf("%d bytes per session parked mid-handshake", per)
	if per > 32<<10 {
		t.Errorf("%d bytes per parked handshake, want at most 32 KiB", per)
	}
	for i := range servers {
		servers[i].Release()
		clients[i].Release()
	}
}
