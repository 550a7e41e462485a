//go:build !race

package pubsub

import (
	"testing"

	"github.com/wsgate/wsgate/apps"
)

// TestAllocations asserts that a publish allocates nothing per delivery or per publish
// once warm (raw and envelope receivers, overlapping filters), and that a client's publish
// request, its decoding and its ack allocate nothing either.
func TestAllocations(t *testing.T) {
	a := New(Options{ClientPublish: true, MaxMessageRate: -1})
	for i := range 100 {
		attach(a, newSink(uint64(i+1), i%3 == 0), "t/+", "t/#")
	}
	pub := newSink(1000, false)
	attach(a, pub)
	b := func(s string) []byte { return []byte(s) } // made once, outside the measured calls
	j, tx, bin, one := b(`{"a":[1,2,3]}`), b("line \"1\"\n"), []byte{0, 1, 2, 255}, b(`1`)
	req1 := b(`{"type":"publish","topic":"t/4","data":{"x":"y"},"id":1}`)
	req2 := b(`{"type":"publish","topic":"t/5","data":"h\u00e9","id":"s"}`)
	req3 := b(`{"type":"publish","topic":"t/+","data":1,"id":2}`)
	tests := []struct {
		name string
		fn   func()
	}{
		{"JSON publish to 100", func() { a.Publish("t/1", JSON, j, false) }},
		{"text publish to 100", func() { a.Publish("t/2", Text, tx, false) }},
		{"binary publish to 100", func() { a.Publish("t/3", Binary, bin, false) }},
		{"publish to nobody", func() { a.Publish("u", JSON, one, false) }},
		{"client publish", func() {
			a.OnMessage(pub, apps.Text, req1)
		}},
		{"client publish of a string", func() {
			a.OnMessage(pub, apps.Text, req2)
		}},
		{"client error answer", func() {
			a.OnMessage(pub, apps.Text, req3)
		}},
	}
	for _, tt := range tests {
		tt.fn()
		if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
			t.Errorf("%s: %v allocations", tt.name, n)
		}
	}
}
