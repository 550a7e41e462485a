package bufpool

import (
	"math/bits"
	"sync"
)

const (
	minShift = 9  // 512 B
	maxShift = 24 // 16 MiB; larger buffers are not pooled
)

var pools [maxShift - minShift + 1]sync.Pool // of *[]byte with cap exactly 1<<(class+minShift)

// class returns the index of the smallest class holding n bytes, -1 past the largest.
func class(n int) int {
	if n <= 1<<minShift {
		return 0
	}
	c := bits.Len(uint(n-1)) - minShift
	if c >= len(pools) {
		return -1
	}
	return c
}

// GetPtr returns a pointer to an empty slice with capacity at least n.
func GetPtr(n int) *[]byte {
	c := class(n)
	if c < 0 {
		b := make([]byte, 0, n)
		return &b
	}
	if p, ok := pools[c].Get().(*[]byte); ok {
		return p
	}
	b := make([]byte, 0, 1<<(c+minShift))
	return &b
}

// PutPtr gives back a buffer from GetPtr (or any other); p must not be used afterwards.
func PutPtr(p *[]byte) {
	if p == nil {
		return
	}
	c := putClass(cap(*p))
	if c < 0 {
		return
	}
	*p = (*p)[:0]
	pools[c].Put(p)
}

// putClass is the largest class a buffer of capacity n fully covers (so Get's capacity
// promise holds), -1 when it is too small or too large to pool.
func putClass(n int) int {
	if n < 1<<minShift {
		return -1
	}
	c := bits.Len(uint(n)) - 1 - minShift
	if c >= len(pools) {
		return -1
	}
	return c
}

// Get returns an empty slice with capacity at least n.
func Get(n int) []byte {
	p := GetPtr(n)
	b := *p
	*p = nil
	boxes.Put(p)
	return b
}

// Put returns b to the pool. b must not be used afterwards.
func Put(b []byte) {
	if putClass(cap(b)) < 0 {
		return
	}
	p, _ := boxes.Get().(*[]byte)
	if p == nil {
		p = new([]byte)
	}
	*p = b
	PutPtr(p)
}

// Grow returns b with room for n more bytes, moving it to a larger pooled buffer if needed.
func Grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := Get(max(len(b)+n, 2*cap(b)))
	nb = append(nb, b...)
	Put(b)
	return nb
}

// AppendPtr appends p to *bp, moving to a bigger pooled buffer when needed; *bp must come
// from GetPtr and may be replaced.
func AppendPtr(bp **[]byte, p []byte) {
	b := *bp
	if need := len(*b) + len(p); need > cap(*b) {
		nb := GetPtr(max(need, 2*cap(*b)))
		*nb = append(*nb, *b...)
		PutPtr(b)
		*bp, b = nb, nb
	}
	*b = append(*b, p...)
}

// boxes recycles the *[]byte boxes that Get and Put wrap around slices, so that neither
// allocates in steady state.
var boxes sync.Pool
