package route

// trieNode is a node of the path trie: one node per path segment. Paths are matched
// exactly ("/a" and "/a/" are different), so a segment may be empty.
type trieNode struct {
	children map[string]*trieNode
	route    *Route
}

func (n *trieNode) insert(path string, r *Route) {
	for path != "" {
		path = path[1:] // drop the '/' that starts every segment
		seg := path
		if i := indexSlash(path); i >= 0 {
			seg, path = path[:i], path[i:]
		} else {
			path = ""
		}
		if n.children == nil {
			n.children = map[string]*trieNode{}
		}
		c := n.children[seg]
		if c == nil {
			c = &trieNode{}
			n.children[seg] = c
		}
		n = c
	}
	n.route = r
}

// lookup walks the trie; the map index with string(bytes) does not allocate.
func (n *trieNode) lookup(path []byte) *Route {
	if len(path) == 0 || path[0] != '/' {
		return nil
	}
	for len(path) > 0 {
		path = path[1:]
		seg := path
		if i := indexSlashBytes(path); i >= 0 {
			seg, path = path[:i], path[i:]
		} else {
			path = nil
		}
		n = n.children[string(seg)]
		if n == nil {
			return nil
		}
	}
	return n.route
}

func indexSlash(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return i
		}
	}
	return -1
}

func indexSlashBytes(b []byte) int {
	for i, c := range b {
		if c == '/' {
			return i
		}
	}
	return -1
}
