package topic

import (
	"strings"
	"sync"
)

// Tree matches published topics against subscription filters. S identifies a subscriber
// (a pointer, typically); one subscriber may hold many filters. The zero value is an empty
// tree ready to use.
//
// All methods are safe for concurrent use. Subscribe and Unsubscribe take the write lock
// for a map update or two; Match takes the read lock only while it copies the matching
// subscribers into the caller's slice, so callers deliver with no lock held.
type Tree[S comparable] struct {
	mu    sync.RWMutex
	root  node[S]
	subs  int       // subscriptions (filter, subscriber pairs)
	seen  sync.Pool // *map[S]struct{}: dedup scratch of Match
	lists sync.Pool // *[]*set[S]: matched sets, scratch of Match
}

// node is one level of the trie: the filters that end here, the filters that continue with
// "/#", and the next levels.
type node[S comparable] struct {
	parent   *node[S]
	level    string // the key of this node in parent.children, or "+"
	children map[string]*node[S]
	plus     *node[S]
	exact    set[S] // filters ending at this node
	hash     set[S] // filters ending with "/#" after this node (or "#" at the root)
}

func (n *node[S]) empty() bool {
	return len(n.children) == 0 && n.plus == nil && n.exact.len() == 0 && n.hash.len() == 0
}

// smallSet is the size up to which a set is scanned instead of indexed: most topics have a
// handful of subscribers, and a map per node would cost more than the subscriptions.
const smallSet = 16

// set is a set of subscribers: a slice in any order, with an index once it is large.
type set[S comparable] struct {
	subs  []S
	index map[S]int32 // nil while len(subs) <= smallSet
}

func (s *set[S]) len() int { return len(s.subs) }

func (s *set[S]) find(x S) int {
	if s.index != nil {
		if i, ok := s.index[x]; ok {
			return int(i)
		}
		return -1
	}
	for i, y := range s.subs {
		if y == x {
			return i
		}
	}
	return -1
}

func (s *set[S]) has(x S) bool { return s.find(x) >= 0 }

// add inserts x and reports whether it was absent.
func (s *set[S]) add(x S) bool {
	if s.find(x) >= 0 {
		return false
	}
	s.subs = append(s.subs, x)
	if s.index != nil {
		s.index[x] = int32(len(s.subs) - 1)
	} else if len(s.subs) > smallSet {
		s.index = make(map[S]int32, 2*len(s.subs))
		for i, y := range s.subs {
			s.index[y] = int32(i)
		}
	}
	return true
}

// remove deletes x and reports whether it was present.
func (s *set[S]) remove(x S) bool {
	i := s.find(x)
	if i < 0 {
		return false
	}
	last := len(s.subs) - 1
	if i != last {
		s.subs[i] = s.subs[last]
		if s.index != nil {
			s.index[s.subs[i]] = int32(i)
		}
	}
	var zero S
	s.subs[last] = zero
	s.subs = s.subs[:last]
	if s.index != nil {
		delete(s.index, x)
		if len(s.subs) <= smallSet/2 {
			s.index = nil
		}
	}
	if len(s.subs) == 0 {
		s.subs = nil // give back a large array once its topic is quiet
	} else if cap(s.subs) > 64 && len(s.subs) < cap(s.subs)/4 {
		s.subs = append([]S(nil), s.subs...)
	}
	return true
}

// Subscribe adds filter for subscriber s. It reports whether the pair was new (subscribing
// twice to one filter is one subscription) and whether it is the first subscription of any
// subscriber to this filter. The filter must pass ValidFilter.
func (t *Tree[S]) Subscribe(filter string, s S) (added, first bool, err error) {
	if err := ValidFilter(filter); err != nil {
		return false, false, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.setFor(filter, true)
	first = st.len() == 0
	if !st.add(s) {
		return false, false, nil
	}
	t.subs++
	return true, first, nil
}

// Unsubscribe removes filter for subscriber s. It reports whether the pair existed and
// whether it was the last subscription to this filter.
func (t *Tree[S]) Unsubscribe(filter string, s S) (removed, last bool) {
	if ValidFilter(filter) != nil {
		return false, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	st, n := t.find(filter)
	if st == nil || !st.remove(s) {
		return false, false
	}
	t.subs--
	last = st.len() == 0
	if last {
		t.prune(n)
	}
	return true, last
}

// Len is the number of subscriptions.
func (t *Tree[S]) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.subs
}

// setFor walks (creating with create) the nodes of filter and returns the set the filter
// ends in; t.mu is held.
func (t *Tree[S]) setFor(filter string, create bool) *set[S] {
	st, _ := t.walkFilter(filter, create)
	return st
}

func (t *Tree[S]) find(filter string) (*set[S], *node[S]) { return t.walkFilter(filter, false) }

// walkFilter returns the set filter ends in and the node that holds it; nil when absent and
// not created.
func (t *Tree[S]) walkFilter(filter string, create bool) (*set[S], *node[S]) {
	n := &t.root
	for rest, more := filter, true; more; {
		var level string
		level, rest, more = strings.Cut(rest, "/")
		if level == "#" {
			return &n.hash, n
		}
		var next *node[S]
		if level == "+" {
			next = n.plus
		} else {
			next = n.children[level]
		}
		if next == nil {
			if !create {
				return nil, nil
			}
			next = &node[S]{parent: n, level: level}
			if level == "+" {
				n.plus = next
			} else {
				if n.children == nil {
					n.children = make(map[string]*node[S])
				}
				n.children[level] = next
			}
		}
		n = next
	}
	return &n.exact, n
}

// prune removes empty nodes from n up; t.mu is held.
func (t *Tree[S]) prune(n *node[S]) {
	for n != &t.root && n.empty() {
		p := n.parent
		if n.level == "+" && p.plus == n {
			p.plus = nil
		} else {
			delete(p.children, n.level)
			if len(p.children) == 0 {
				p.children = nil
			}
		}
		n.parent = nil
		n = p
	}
}

// Match appends to dst every subscriber with a filter matching topic, each once, and
// returns the extended slice. topic should pass ValidTopic (a wildcard in it is taken
// literally). The read lock is held only while the subscribers are copied. With a dst of
// enough capacity it does not allocate.
func (t *Tree[S]) Match(topic string, dst []S) []S {
	lp, _ := t.lists.Get().(*[]*set[S])
	if lp == nil {
		lp = new([]*set[S])
	}
	t.mu.RLock()
	sets := collect(&t.root, topic, false, (*lp)[:0])
	switch len(sets) {
	case 0:
	case 1:
		dst = append(dst, sets[0].subs...)
	default:
		dst = t.dedup(sets, dst)
	}
	t.mu.RUnlock()
	clear(sets)
	*lp = sets[:0]
	t.lists.Put(lp)
	return dst
}

// dedup appends the union of several sets: the largest whole, the others without the
// subscribers already in it or already appended. t.mu is read-locked.
func (t *Tree[S]) dedup(sets []*set[S], dst []S) []S {
	big := 0
	for i, s := range sets {
		if s.len() > sets[big].len() {
			big = i
		}
	}
	b := sets[big]
	dst = append(dst, b.subs...)
	mp, _ := t.seen.Get().(*map[S]struct{})
	if mp == nil {
		m := make(map[S]struct{})
		mp = &m
	}
	seen := *mp
	for i, s := range sets {
		if i == big {
			continue
		}
		for _, x := range s.subs {
			if b.has(x) {
				continue
			}
			if _, dup := seen[x]; dup {
				continue
			}
			seen[x] = struct{}{}
			dst = append(dst, x)
		}
	}
	clear(seen)
	t.seen.Put(mp)
	return dst
}

// collect appends the non-empty sets of n and below whose filters match the remaining
// topic; end means no level remains. A "#" set matches both the rest and nothing more
// ("a/#" matches "a"). The recursion is as deep as the topic has levels (at most 129).
func collect[S comparable](n *node[S], topic string, end bool, out []*set[S]) []*set[S] {
	if n.hash.len() > 0 {
		out = append(out, &n.hash)
	}
	if end {
		if n.exact.len() > 0 {
			out = append(out, &n.exact)
		}
		return out
	}
	level, rest, more := strings.Cut(topic, "/")
	if c := n.children[level]; c != nil {
		out = collect(c, rest, !more, out)
	}
	if n.plus != nil {
		out = collect(n.plus, rest, !more, out)
	}
	return out
}

// Filters calls fn for every (filter, subscriber count) in the tree, in no order, under the
// read lock; fn must not call back into t. For status pages and tests.
func (t *Tree[S]) Filters(fn func(filter string, subscribers int)) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var walk func(n *node[S], prefix string)
	walk = func(n *node[S], prefix string) {
		join := func(l string) string {
			if n == &t.root {
				return l
			}
			return prefix + "/" + l
		}
		if n != &t.root && n.exact.len() > 0 {
			fn(prefix, n.exact.len())
		}
		if n.hash.len() > 0 {
			fn(join("#"), n.hash.len())
		}
		for l, c := range n.children {
			walk(c, join(l))
		}
		if n.plus != nil {
			walk(n.plus, join("+"))
		}
	}
	walk(&t.root, "")
}
