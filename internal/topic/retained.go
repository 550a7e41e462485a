package topic

import "strings"

// Retained keeps the last retained value of each topic, bounded by a count of topics and a
// total size. V is the caller's value type; the caller states each value's size. A value is
// found by topic (Get) or by filter (Match), the latter walking only the branches the filter
// selects. Retained is not safe for concurrent use: the caller guards it.
type Retained[V any] struct {
	// MaxCount bounds the number of topics with a value (0 = none), MaxBytes the sum of
	// len(topic) + size over them (0 = none).
	MaxCount int
	MaxBytes int64

	root  rnode[V]
	count int
	bytes int64
}

type rnode[V any] struct {
	parent   *rnode[V]
	level    string
	children map[string]*rnode[V]
	has      bool
	size     int64 // len(topic) + the caller's size, while has
	topic    string
	val      V
}

// Len is the number of topics with a value; Bytes their accounted size.
func (r *Retained[V]) Len() int     { return r.count }
func (r *Retained[V]) Bytes() int64 { return r.bytes }

// Set stores v of the given size as topic's value, replacing the previous one. It returns
// ErrRetainedFull, changing nothing, when the store would pass MaxCount or MaxBytes. topic
// must pass ValidTopic.
func (r *Retained[V]) Set(topic string, v V, size int) error {
	n := r.lookup(topic)
	need := int64(len(topic) + size)
	var old int64
	count := r.count
	if n != nil && n.has {
		old = n.size
	} else {
		count++
	}
	if r.MaxCount > 0 && count > r.MaxCount {
		return ErrRetainedFull
	}
	if r.MaxBytes > 0 && r.bytes-old+need > r.MaxBytes {
		return ErrRetainedFull
	}
	if n == nil {
		n = r.create(topic)
	}
	n.has, n.val, n.size, n.topic = true, v, need, topic
	r.count = count
	r.bytes += need - old
	return nil
}

// Delete removes topic's value, if any, and reports whether there was one.
func (r *Retained[V]) Delete(topic string) bool {
	n := r.lookup(topic)
	if n == nil || !n.has {
		return false
	}
	var zero V
	r.count--
	r.bytes -= n.size
	n.has, n.val, n.size, n.topic = false, zero, 0, ""
	for n != &r.root && !n.has && len(n.children) == 0 {
		p := n.parent
		delete(p.children, n.level)
		n.parent = nil
		n = p
	}
	return true
}

// Get returns topic's value.
func (r *Retained[V]) Get(topic string) (V, bool) {
	if n := r.lookup(topic); n != nil && n.has {
		return n.val, true
	}
	var zero V
	return zero, false
}

// Match calls fn for every stored topic matching filter (a valid filter), in no particular
// order. fn must not change r.
func (r *Retained[V]) Match(filter string, fn func(topic string, v V)) {
	r.match(&r.root, filter, fn)
}

func (r *Retained[V]) match(n *rnode[V], filter string, fn func(string, V)) {
	level, rest, more := strings.Cut(filter, "/")
	switch level {
	case "#":
		if n != &r.root && n.has {
			fn(n.topic, n.val) // "a/#" matches "a"
		}
		for _, c := range n.children {
			r.all(c, fn)
		}
		return
	case "+":
		for _, c := range n.children {
			r.step(c, rest, more, fn)
		}
		return
	}
	if c := n.children[level]; c != nil {
		r.step(c, rest, more, fn)
	}
}

func (r *Retained[V]) step(c *rnode[V], rest string, more bool, fn func(string, V)) {
	if !more {
		if c.has {
			fn(c.topic, c.val)
		}
		return
	}
	r.match(c, rest, fn)
}

func (r *Retained[V]) all(n *rnode[V], fn func(string, V)) {
	if n.has {
		fn(n.topic, n.val)
	}
	for _, c := range n.children {
		r.all(c, fn)
	}
}

func (r *Retained[V]) lookup(topic string) *rnode[V] {
	n := &r.root
	for rest, more := topic, true; more && n != nil; {
		var level string
		level, rest, more = strings.Cut(rest, "/")
		n = n.children[level]
	}
	return n
}

func (r *Retained[V]) create(topic string) *rnode[V] {
	n := &r.root
	for rest, more := topic, true; more; {
		var level string
		level, rest, more = strings.Cut(rest, "/")
		c := n.children[level]
		if c == nil {
			if n.children == nil {
				n.children = make(map[string]*rnode[V])
			}
			c = &rnode[V]{parent: n, level: level}
			n.children[level] = c
		}
		n = c
	}
	return n
}
