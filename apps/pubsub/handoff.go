package pubsub

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// handoffs carries what OnHandshake read to OnOpen of the same connection. The engine calls
// both on the connection's loop, one right after the other, with the same RemoteAddr value
// (one net.Addr per connection), which serves as the key.
//
// TODO(api): when apps.Conn gains User, Query and a value attached in the handshake
// (issue 11), read them in OnOpen and drop this.
type handoffs struct {
	mu sync.Mutex
	m  map[any]*handoff
}

type handoff struct {
	hd *handshakeData
}

func (h *handoffs) put(key any, hd *handshakeData) {
	if key == nil {
		return
	}
	h.mu.Lock()
	h.m[key] = &handoff{hd}
	h.mu.Unlock()
}

func (h *handoffs) take(key any) *handshakeData {
	if key == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.m[key]
	if e == nil {
		return nil
	}
	delete(h.m, key)
	return e.hd
}

// rateLog logs at most one line per second, counting what it held back.
type rateLog struct {
	next atomic.Int64
	held atomic.Int64
}

func (r *rateLog) log(l *slog.Logger, msg string, args ...any) {
	now := time.Now().UnixNano()
	next := r.next.Load()
	if now < next || !r.next.CompareAndSwap(next, now+int64(time.Second)) {
		r.held.Add(1)
		return
	}
	l.Info(msg, append(args, "held_back_since_last_line", r.held.Swap(0))...)
}
