package wsproto

import (
	"testing"
)

var negotiateCases = []struct {
	name   string
	offers []string
	policy *DeflatePolicy // nil: DefaultDeflatePolicy
	resp   string         // "" when ok is false
	params DeflateParams
}{
	{name: "no offer"},
	{name: "other extension only", offers: []string{"x-webkit-deflate-frame"}},
	{name: "bare offer", offers: []string{"permessage-deflate"},
		resp:   "permessage-deflate; server_no_context_takeover",
		params: DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}},
	{name: "browser offer", offers: []string{"permessage-deflate; client_max_window_bits"},
		resp:   "permessage-deflate; server_no_context_takeover; client_max_window_bits=15",
		params: DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}},
	{name: "autobahn default offer", offers: []string{"permessage-deflate; client_no_context_takeover; client_max_window_bits"},
		resp:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=15",
		params: DeflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}},
	{name: "autobahn 13.5 offer", offers: []string{"permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=8"},
		resp:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=15",
		params: DeflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 8, ClientMaxWindowBits: 15}},
	{name: "gorilla offer", offers: []string{"permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
		resp:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
		params: DeflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}},
	{name: "client window value", offers: []string{"permessage-deflate; client_max_window_bits=10"},
		resp:   "permessage-deflate; server_no_context_takeover; client_max_window_bits=10",
		params: DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 10}},
	{name: "quoted client window value", offers: []string{`permessage-deflate; client_max_window_bits="9"`},
		resp:   "permessage-deflate; server_no_context_takeover; client_max_window_bits=9",
		params: DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 9}},
	{name: "server window value", offers: []string{"permessage-deflate; server_max_window_bits=12"},
		resp:   "permessage-deflate; server_no_context_takeover; server_max_window_bits=12",
		params: DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 12, ClientMaxWindowBits: 15}},
	{name: "names are case-insensitive", offers: []string{"PerMessage-Deflate; Client_Max_Window_Bits"},
		resp:   "permessage-deflate; server_no_context_takeover; client_max_window_bits=15",
		params: DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}},

	// Declined offers (RFC 7692 §7) and the fall-through to the next one.
	{name: "server window without value", offers: []string{"permessage-deflate; server_max_window_bits"}},
	{name: "server window 7", offers: []string{"permessage-deflate; server_max_window_bits=7"}},
	{name: "server window 16", offers: []string{"permessage-deflate; server_max_window_bits=16"}},
	{name: "server window leading zero", offers: []string{"permessage-deflate; server_max_window_bits=09"}},
	{name: "server window not a number", offers: []string{"permessage-deflate; server_max_window_bits=abc"}},
	{name: "client window 16", offers: []string{"permessage-deflate; client_max_window_bits=16"}},
	{name: "client window empty quoted", offers: []string{`permessage-deflate; client_max_window_bits=""`}},
	{name: "value on a flag", offers: []string{"permessage-deflate; server_no_context_takeover=1"}},
	{name: "unknown parameter", offers: []string{"permessage-deflate; foo"}},
	{name: "duplicate parameter", offers: []string{"permessage-deflate; client_max_window_bits; client_max_window_bits=10"}},
	{name: "duplicate flag", offers: []string{"permessage-deflate; client_no_context_takeover; client_no_context_takeover"}},
	{name: "fall through to the next offer", offers: []string{"permessage-deflate; server_max_window_bits=20, permessage-deflate; foo=bar, permessage-deflate; client_max_window_bits=11"},
		resp:   "permessage-deflate; server_no_context_takeover; client_max_window_bits=11",
		params: DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 11}},
	{name: "fall through to the next line", offers: []string{"permessage-deflate; bad", "x-foo; a=1, permessage-deflate; server_max_window_bits=10"},
		resp:   "permessage-deflate; server_no_context_takeover; server_max_window_bits=10",
		params: DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 10, ClientMaxWindowBits: 15}},
	{name: "first acceptable offer wins", offers: []string{"permessage-deflate; server_max_window_bits=9, permessage-deflate"},
		resp:   "permessage-deflate; server_no_context_takeover; server_max_window_bits=9",
		params: DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 9, ClientMaxWindowBits: 15}},
	{name: "malformed line is skipped", offers: []string{`permessage-deflate; client_max_window_bits="10`, "permessage-deflate"},
		resp:   "permessage-deflate; server_no_context_takeover",
		params: DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}},

	// Policies.
	{name: "server keeps context", offers: []string{"permessage-deflate; client_max_window_bits"},
		policy: &DeflatePolicy{ClientMaxWindowBits: 15},
		resp:   "permessage-deflate; client_max_window_bits=15",
		params: DeflateParams{ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}},
	{name: "client asks the server not to keep context", offers: []string{"permessage-deflate; server_no_context_takeover"},
		policy: &DeflatePolicy{},
		resp:   "permessage-deflate; server_no_context_takeover",
		params: DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}},
	{name: "small client window", offers: []string{"permessage-deflate; client_max_window_bits"},
		policy: &DeflatePolicy{ServerNoContextTakeover: true, ClientMaxWindowBits: 10},
		resp:   "permessage-deflate; server_no_context_takeover; client_max_window_bits=10",
		params: DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 10}},
	{name: "client offers a smaller window than the policy", offers: []string{"permessage-deflate; client_max_window_bits=9"},
		policy: &DeflatePolicy{ServerNoContextTakeover: true, ClientMaxWindowBits: 10},
		resp:   "permessage-deflate; server_no_context_takeover; client_max_window_bits=9",
		params: DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 9}},
	{name: "unbounded client window is told no context", offers: []string{"permessage-deflate"},
		policy: &DeflatePolicy{ServerNoContextTakeover: true, ClientMaxWindowBits: 10},
		resp:   "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
		params: DeflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}},
}

func TestNegotiate(t *testing.T) {
	for _, tt := range negotiateCases {
		t.Run(tt.name, func(t *testing.T) {
			policy := DefaultDeflatePolicy
			if tt.policy != nil {
				policy = *tt.policy
			}
			var offers [][]byte
			for _, o := range tt.offers {
				offers = append(offers, []byte(o))
			}
			resp, params, ok := Negotiate([]byte("X: "), offers, policy)
			if ok != (tt.resp != "") {
				t.Fatalf("ok = %v, resp %q", ok, resp)
			}
			want := "X: " + tt.resp
			if string(resp) != want || params != tt.params {
				t.Fatalf("got %q %+v\nwant %q %+v", resp, params, want, tt.params)
			}
		})
	}
}

func TestShareable(t *testing.T) {
	tests := []struct {
		name   string
		params DeflateParams
		want   bool
	}{
		{name: "no takeover, full window", params: DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 15}, want: true},
		{name: "no takeover, window not set", params: DeflateParams{ServerNoContextTakeover: true}, want: true},
		{name: "no takeover, small window", params: DeflateParams{ServerNoContextTakeover: true, ServerMaxWindowBits: 8}},
		{name: "takeover", params: DeflateParams{ServerMaxWindowBits: 15}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.params.Shareable(); got != tt.want {
				t.Fatalf("Shareable = %v, want %v", got, tt.want)
			}
		})
	}
}

func BenchmarkNegotiate(b *testing.B) {
	offers := [][]byte{[]byte("permessage-deflate; client_max_window_bits")}
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf, _, _ = Negotiate(buf[:0], offers, DefaultDeflatePolicy)
	}
}
