package topic

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// naiveMatch is the oracle: every subscription checked against the topic level by level,
// written from the definition without the trie.
func naiveMatch(filter, topic string) bool {
	f, t := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, fl := range f {
		if fl == "#" {
			return i == len(f)-1 // "#" matches the rest, including nothing
		}
		if i >= len(t) || (fl != "+" && fl != t[i]) {
			return false
		}
	}
	return len(f) == len(t)
}

// FuzzMatch builds a tree from filters cut out of the input, then checks Match, the naive
// matcher and Matches agree on a topic, and that unsubscribing everything empties the tree.
// Input: filters and the topic separated by '\n', the topic last; each filter line starts
// with a digit naming its subscriber.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{
		"0a/b\n1a/+\n2a/#\n3#\na/b",
		"0+/+\n0+/#\n1/x\n/x",
		"0a\n1a/#\n2+\na",
		"0a//b\n1a/+/b\n2a/+/+\na//b",
		"0#\n0#\n1+/+/+/#\nx/y/z/w/v",
		"0a/b/c\n1a/b/#\n2a/+/c\n3+/b/c\n4+/+/+\na/b/c",
		"0é/+\n1é/#\né/ü",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		lines := strings.Split(in, "\n")
		topic := lines[len(lines)-1]
		if ValidTopic(topic) != nil {
			return
		}
		type subscription struct {
			filter string
			s      *sub
		}
		var tr Tree[*sub]
		subs := map[byte]*sub{}
		var all []subscription
		for _, l := range lines[:len(lines)-1] {
			if len(l) < 2 || l[0] < '0' || l[0] > '9' {
				continue
			}
			s := subs[l[0]]
			if s == nil {
				s = &sub{int(l[0] - '0')}
				subs[l[0]] = s
			}
			filter := l[1:]
			if _, _, err := tr.Subscribe(filter, s); err != nil {
				if ValidFilter(filter) == nil {
					t.Fatalf("Subscribe(%q) = %v for a valid filter", filter, err)
				}
				continue
			}
			all = append(all, subscription{filter, s})
		}
		var want []int
		for _, x := range all {
			m := naiveMatch(x.filter, topic)
			if m != Matches(x.filter, topic) {
				t.Fatalf("Matches(%q, %q) = %v, naive %v", x.filter, topic, !m, m)
			}
			if m && !slices.Contains(want, x.s.id) {
				want = append(want, x.s.id)
			}
		}
		slices.Sort(want)
		got := tr.Match(topic, nil)
		if ids := ids(got); !slices.Equal(ids, want) {
			t.Fatalf("Match(%q) = %v, naive %v (subscriptions %v)", topic, ids, want, all)
		}
		for _, x := range all {
			tr.Unsubscribe(x.filter, x.s)
		}
		if tr.Len() != 0 || !tr.root.empty() {
			t.Fatalf("tree not empty after unsubscribing all: len %d", tr.Len())
		}
	})
}

// FuzzCovers checks Covers against the definition on a set of topics: when p covers f,
// every topic f matches, p matches too.
func FuzzCovers(f *testing.F) {
	f.Add("a/#", "a/+/c", "a/x/c")
	f.Add("a/+", "a/#", "a/b/c")
	f.Add("+/+", "a/b", "a/b")
	f.Add("a/#", "a", "a")
	f.Fuzz(func(t *testing.T, p, flt, topic string) {
		if ValidFilter(p) != nil || ValidFilter(flt) != nil || ValidTopic(topic) != nil {
			return
		}
		if Covers(p, flt) && naiveMatch(flt, topic) && !naiveMatch(p, topic) {
			t.Fatalf("Covers(%q, %q) but %q matches only the latter", p, flt, topic)
		}
	})
}

// FuzzParseQuery checks the query reader against url.ParseQuery as the oracle, on the
// query with every '+' written as %2B (ParseQuery takes '+' literally) and without ';'
// (which ParseQuery refuses): the same verdict, the same distinct topics in order, and the
// first retain read as 1/true, 0/false/empty or refused.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"topic=a", "topic=a/+/b&topic=c/%23", "topic=a&topic=a", "topic=%zz", "topic",
		"retain=1&topic=x&retain=0", "retain=yes", "topic=a%20b&other=%41", "&&topic=&", "%74opic=k", "topic=a=b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if strings.Contains(q, ";") {
			return
		}
		topics, retain, err := ParseQuery(q)
		vals, oerr := url.ParseQuery(strings.ReplaceAll(q, "+", "%2B"))
		if oerr != nil {
			// ParseQuery (ours) reads only the values it uses, so it may accept what the
			// oracle refuses, never the reverse.
			if err != nil && !errors.Is(err, ErrQuery) && !errors.Is(err, ErrRetainValue) {
				t.Fatalf("%q: unexpected error %v", q, err)
			}
			return
		}
		first := vals.Get("retain")
		switch first {
		case "", "0", "false", "1", "true":
			if err != nil {
				t.Fatalf("%q: err %v, oracle accepts", q, err)
			}
		default:
			if !errors.Is(err, ErrRetainValue) {
				t.Fatalf("%q: err %v for retain %q, want ErrRetainValue", q, err, first)
			}
			return
		}
		var want []string
		for _, v := range vals["topic"] {
			if !slices.Contains(want, v) {
				want = append(want, v)
			}
		}
		if !slices.Equal(topics, want) {
			t.Fatalf("%q: topics %q, oracle %q", q, topics, want)
		}
		if retain != (first == "1" || first == "true") {
			t.Fatalf("%q: retain %v, oracle %q", q, retain, first)
		}
	})
}
