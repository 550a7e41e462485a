package wsproto

import (
	"math/bits"
	"sync"
)

// Message buffers come from size-classed pools so that a connection holds one
// only while a message is in progress, and a burst of big messages does not
// pin big buffers for small ones. Classes are powers of two from 512 B to
// 16 MiB; bigger buffers are allocated and dropped.
const (
	minBufShift = 9
	maxBufShift = 24
	// preallocLimit caps what a frame header alone can make us allocate: the
	// declared length is the peer's word, the bytes that actually arrive are not.
	preallocLimit = 64 << 10
)

var bufPools [maxBufShift - minBufShift + 1]sync.Pool

// getBuf returns an empty buffer with capacity at least n.
func getBuf(n int) *[]byte {
	c := bufClass(n)
	if c < 0 {
		b := make([]byte, 0, n)
		return &b
	}
	if b, _ := bufPools[c].Get().(*[]byte); b != nil {
		return b
	}
	b := make([]byte, 0, 1<<(c+minBufShift))
	return &b
}

// putBuf gives b back; the caller must not use it afterwards.
func putBuf(b *[]byte) {
	n := cap(*b)
	c := bufClass(n)
	if c < 0 || 1<<(c+minBufShift) != n {
		return
	}
	*b = (*b)[:0]
	bufPools[c].Put(b)
}

// bufClass is the pool index for a capacity of at least n, -1 past the largest.
func bufClass(n int) int {
	if n <= 1<<minBufShift {
		return 0
	}
	c := bits.Len(uint(n-1)) - minBufShift
	if c >= len(bufPools) {
		return -1
	}
	return c
}

// appendBuf appends p to *bp, moving to a bigger pooled buffer when needed.
// *bp must come from getBuf; it may be replaced.
func appendBuf(bp **[]byte, p []byte) {
	b := *bp
	if need := len(*b) + len(p); need > cap(*b) {
		nb := getBuf(max(need, 2*cap(*b)))
		*nb = append(*nb, *b...)
		putBuf(b)
		*bp, b = nb, nb
	}
	*b = append(*b, p...)
}
