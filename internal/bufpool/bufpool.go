// Package bufpool is a pool of byte slices in power-of-two size classes, for buffers that
// live only while a connection has something in flight (pending output, a message being
// reassembled), so that an idle connection holds none.
package bufpool

import (
	"math/bits"
	"sync"
)

const (
	minShift = 9  // 512 B
	maxShift = 24 // 16 MiB; larger buffers are not pooled
)

var pools [maxShift - minShift + 1]sync.Pool

// class returns the index of the smallest class holding n bytes.
func class(n int) int {
	if n <= 1<<minShift {
		return 0
	}
	return bits.Len(uint(n-1)) - minShift
}

// Get returns an empty slice with capacity at least n.
func Get(n int) []byte {
	c := class(n)
	if c >= len(pools) {
		return make([]byte, 0, n)
	}
	if p, ok := pools[c].Get().(*[]byte); ok {
		b := (*p)[:0]
		ptrPool.Put(p)
		return b
	}
	return make([]byte, 0, 1<<(c+minShift))
}

// Put returns b to the pool. b must not be used afterwards.
func Put(b []byte) {
	n := cap(b)
	if n < 1<<minShift {
		return
	}
	// Put in the largest class b fully covers, so Get's capacity promise holds.
	c := bits.Len(uint(n)) - 1 - minShift
	if c >= len(pools) {
		return
	}
	p, _ := ptrPool.Get().(*[]byte)
	if p == nil {
		p = new([]byte)
	}
	*p = b[:0]
	pools[c].Put(p)
}

// Grow returns b with room for n more bytes, moving it to a larger pooled buffer if needed.
func Grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := Get(len(b) + n)
	nb = append(nb, b...)
	Put(b)
	return nb
}

// ptrPool recycles the *[]byte boxes so that Put does not allocate in steady state.
var ptrPool sync.Pool
