package pubsub

import (
	"log/slog"
	"sync/atomic"
	"time"
)

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
