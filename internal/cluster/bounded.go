package cluster

import "sync"

// bounded is a FIFO bounded in entries and in bytes, filled from any goroutine and emptied
// by one, which wake tells when something arrives. Both of the node's paths use one: local
// publishes on their way to the broker (outQueue) and messages from the broker on their way
// to the applications (inbound.go). One consumer keeps the order in which entries were
// pushed.
type bounded[T any] struct {
	mu       sync.Mutex
	ring     []T
	sizes    []int // what each entry counts against maxBytes, beside it in the ring
	head, n  int
	bytes    int
	maxBytes int
	wake     chan struct{}
}

func (q *bounded[T]) init(count, maxBytes int) {
	q.ring = make([]T, count)
	q.sizes = make([]int, count)
	q.maxBytes = maxBytes
	q.wake = make(chan struct{}, 1)
}

// push queues e, which counts size bytes, and wakes the consumer; false when either bound
// is reached.
func (q *bounded[T]) push(e T, size int) bool {
	q.mu.Lock()
	if q.n == len(q.ring) || q.bytes+size > q.maxBytes {
		q.mu.Unlock()
		return false
	}
	i := (q.head + q.n) % len(q.ring)
	q.ring[i], q.sizes[i] = e, size
	q.n++
	q.bytes += size
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

// take moves up to len(dst) entries, oldest first, into dst and returns how many.
func (q *bounded[T]) take(dst []T) int {
	var zero T
	q.mu.Lock()
	k := min(q.n, len(dst))
	for i := range k {
		j := (q.head + i) % len(q.ring)
		dst[i] = q.ring[j]
		q.bytes -= q.sizes[j]
		q.ring[j] = zero
	}
	q.head = (q.head + k) % len(q.ring)
	q.n -= k
	q.mu.Unlock()
	return k
}

// len is the number of entries queued and their bytes.
func (q *bounded[T]) len() (n, bytes int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n, q.bytes
}
