package cluster

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsgate/wsgate/internal/natstest"
	"github.com/wsgate/wsgate/internal/wstest"
)

// BenchmarkCrossGateway: one gateway publishes, another delivers, through an embedded NATS
// server in the same process; reports messages per CPU second of the whole process (both
// nodes and the server).
func BenchmarkCrossGateway(b *testing.B) {
	for _, size := range []int{16, 1024} {
		b.Run(itoa(size)+"B", func(b *testing.B) {
			s := natstest.Run(b, 0, nil)
			a := newNode(b, s, nil)
			r := newNode(b, s, nil)
			var got atomic.Int64
			a.Attach("chat", &collector{})
			r.Attach("chat", ReceiverFunc(func(Message) int { got.Add(1); return 1 }))
			r.Interest("chat", "room/+", true)
			mustSync(b, a, r)
			data := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			cpu0 := wstest.CPUTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				a.Forward("chat", Message{Topic: "room/1", Kind: Binary, Data: data})
				for a.out.pushed.Load()-a.out.handled.Load() > 4096 { // stay under the queue bound
					time.Sleep(50 * time.Microsecond)
				}
			}
			waitFor(b, "deliveries", func() bool { return got.Load() >= int64(b.N) })
			b.StopTimer()
			if d := (wstest.CPUTime() - cpu0).Seconds(); d > 0 {
				b.ReportMetric(float64(b.N)/d, "msgs/cpu-s")
			}
			if st := a.Status(); st.Dropped["queue_full"] > 0 {
				b.Fatalf("dropped %d", st.Dropped["queue_full"])
			}
		})
	}
}

// BenchmarkForward is the cost on the caller's goroutine (an event loop): copy into the
// bounded queue.
func BenchmarkForward(b *testing.B) {
	f := newForwardPath(1024, 64)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if !f.push() {
			f.drain()
		}
	}
}

// forwardPath is the forward path's outbound queue (1 MiB) with one application and one
// message of a given size, for BenchmarkForward and TestForwardPathAllocs.
type forwardPath struct {
	q     outQueue
	a     *appState
	m     Message
	batch []outEntry
}

// newForwardPath returns a queue of entries entries and a message of size bytes.
func newForwardPath(entries, size int) *forwardPath {
	f := &forwardPath{
		a:     &appState{name: "chat", token: "chat"},
		m:     Message{Topic: "room/1", Data: make([]byte, size)},
		batch: make([]outEntry, entries),
	}
	f.q.init(entries, 1<<20)
	return f
}

// push queues the message as a local publish does; false when the queue is full.
func (f *forwardPath) push() bool { return f.q.push(f.a, f.m, 0, false) }

// drain takes what is queued, as the sender does, and gives the entries' buffers back.
func (f *forwardPath) drain() {
	k := f.q.take(f.batch)
	for j := range k {
		putEntry(&f.batch[j])
	}
}
