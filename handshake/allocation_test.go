//go:build !race

package handshake

import "testing"

// TestAllocations asserts that the hot paths of an upgrade allocate nothing:
// parsing, checking, offering protocols, answering 101 and answering a
// refusal.
func TestAllocations(t *testing.T) {
	var r Request // escapes once (Parse stores into it); not per run
	dst := make([]byte, 0, 1024)
	key := []byte("dGhlIHNhbXBsZSBub25jZQ==")
	proto := []byte("chat")
	browser, rfc := []byte(browserRequest), []byte(rfcRequest)
	refused := []byte(upgrade("GET", map[string]string{"Sec-WebSocket-Version:": "Sec-WebSocket-Version: 8"}))
	all := make([][]byte, len(parseCases))
	for i, tc := range parseCases {
		all[i] = []byte(tc.in)
	}
	var found int
	count := func(p []byte) bool { found++; return true }

	tests := []struct {
		name string
		fn   func()
	}{
		{name: "Parse browser request", fn: func() { Parse(browser, &r, Limits{}) }},
		{name: "Scanner over a dribbled head", fn: func() {
			var s Scanner
			for end := 1; end <= len(browser); end += 16 {
				s.Ready(browser[:end], Limits{})
			}
		}},
		{name: "Parse every case", fn: func() {
			for i, tc := range parseCases {
				Parse(all[i], &r, tc.lim)
			}
		}},
		{name: "Check", fn: func() {
			Parse(rfc, &r, Limits{})
			if Check(&r) != nil {
				panic("Check failed")
			}
		}},
		{name: "Check refusal", fn: func() {
			Parse(refused, &r, Limits{})
			if Check(&r) != ErrBadVersion {
				panic("Check passed")
			}
		}},
		{name: "ForEachProtocol", fn: func() {
			Parse(rfc, &r, Limits{})
			r.ForEachProtocol(count)
		}},
		{name: "AppendAccept", fn: func() { dst = AppendAccept(dst[:0], key) }},
		{name: "AppendSwitching", fn: func() { dst = AppendSwitching(dst[:0], key, proto, proto) }},
		{name: "Error response", fn: func() { dst = append(dst[:0], ErrMethod.Response()...) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn() // warm up
			if n := testing.AllocsPerRun(100, tc.fn); n != 0 {
				t.Fatalf("%v allocations per run, want 0", n)
			}
		})
	}
	if found == 0 {
		t.Fatal("ForEachProtocol found nothing")
	}
}
