package wsproto

import "sync/atomic"

// Budget bounds the message buffers of many Readers together: every connection may buffer
// up to MaxMessageSize of a message in progress, and without a common bound the sum is
// connections x MaxMessageSize. A Reader counts the capacity of its message buffer in Used
// as it grows (a buffer starts at what arrived, not at what a header announced) and gives
// it back when the message completes or the Reader is released; a growth that would pass
// Max ends that connection with ErrInputBudget (1013, try again later), and the others go
// on. Safe for concurrent use by Readers on several event loops.
type Budget struct {
	Used atomic.Int64
	Max  atomic.Int64 // 0 = no bound, only counting; a reload may change it at any time
}

// fits reports whether n more bytes stay within Max. Readers on several loops may judge
// at once and pass Max together by at most one growth each.
func (b *Budget) fits(n int64) bool {
	m := b.Max.Load()
	return m <= 0 || b.Used.Load()+n <= m
}
