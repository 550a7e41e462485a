package topic

import (
	"strconv"
	"testing"
)

// benchTree builds the tree of the fan-out benchmark: 100,000 subscriptions on 10,000
// topics, 10,000 of them on the hot topic "dev/0/temp", the rest spread nine per topic over
// the others (exact filters, and one "+" and one "#" filter per topic).
func benchTree(tb testing.TB) (*Tree[*sub], []string) {
	tr := &Tree[*sub]{}
	const topics, hot = 10_000, 10_000
	names := make([]string, topics)
	for i := range names {
		names[i] = "dev/" + strconv.Itoa(i) + "/temp"
	}
	id := 0
	for range hot {
		tr.Subscribe(names[0], &sub{id})
		id++
	}
	for i := 1; i < topics; i++ {
		for j := range 9 {
			f := names[i]
			switch j {
			case 7:
				f = "dev/" + strconv.Itoa(i) + "/+"
			case 8:
				f = "dev/" + strconv.Itoa(i) + "/#"
			}
			tr.Subscribe(f, &sub{id})
			id++
		}
	}
	if n := tr.Len(); n != 10_000+9*9_999 {
		tb.Fatalf("%d subscriptions", n)
	}
	return tr, names
}

// BenchmarkMatchFanout matches one publish on the hot topic and delivers to its 10,000
// subscribers (the delivery here is a counter: the socket side is in apps/pubsub).
func BenchmarkMatchFanout(b *testing.B) {
	tr, names := benchTree(b)
	buf := make([]*sub, 0, 16_384)
	delivered := 0
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range tr.Match(names[0], buf[:0]) {
			delivered += s.id & 1
		}
	}
	b.ReportMetric(float64(10_000*b.N)/b.Elapsed().Seconds(), "deliveries/s")
	_ = delivered
}

// BenchmarkMatchCold matches a topic with nine subscriptions among the 100,000: the cost
// does not grow with the subscriptions that do not match.
func BenchmarkMatchCold(b *testing.B) {
	tr, names := benchTree(b)
	buf := make([]*sub, 0, 16)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if i == len(names) {
			i = 1
		}
		if n := len(tr.Match(names[i], buf[:0])); n != 9 {
			b.Fatalf("%d matches", n)
		}
	}
}

// BenchmarkMatchOverlap matches a topic where every subscriber holds three overlapping
// filters: the deduplicating path.
func BenchmarkMatchOverlap(b *testing.B) {
	tr := overlapTree(1000, "a/b", "a/+", "a/#")
	buf := make([]*sub, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		if n := len(tr.Match("a/b", buf[:0])); n != 1000 {
			b.Fatalf("%d matches", n)
		}
	}
}

func BenchmarkSubscribeUnsubscribe(b *testing.B) {
	tr, _ := benchTree(b)
	s := &sub{-1}
	b.ReportAllocs()
	for b.Loop() {
		tr.Subscribe("dev/5/temp", s)
		tr.Unsubscribe("dev/5/temp", s)
	}
}

func BenchmarkValidTopic(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if ValidTopic("factory/line-4/press/17/temperature") != nil {
			b.Fatal("invalid")
		}
	}
}

// overlapTree is a tree of n subscribers, each holding all of filters: a match of a topic
// several of them cover takes the deduplicating path.
func overlapTree(n int, filters ...string) *Tree[*sub] {
	tr := new(Tree[*sub])
	for i := range n {
		s := &sub{i}
		for _, f := range filters {
			tr.Subscribe(f, s)
		}
	}
	return tr
}
