package conformance

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestReadFrame(t *testing.T) {
	long := bytes.Repeat([]byte("x"), 300)
	tests := []struct {
		name    string
		in      []byte
		want    serverFrame
		wantErr error
	}{
		{name: "text", in: []byte{0x81, 0x02, 'h', 'i'}, want: serverFrame{fin: true, op: OpText, payload: []byte("hi")}},
		{name: "fragment with RSV1", in: []byte{0x42, 0x01, 0x00}, want: serverFrame{rsv: 4, op: OpBinary, payload: []byte{0}}},
		{name: "16-bit length", in: append([]byte{0x82, 126, 0x01, 0x2c}, long...), want: serverFrame{fin: true, op: OpBinary, payload: long}},
		{name: "empty close", in: []byte{0x88, 0x00}, want: serverFrame{fin: true, op: OpClose, payload: []byte{}}},
		{name: "masked", in: []byte{0x81, 0x82, 1, 2, 3, 4, 'h', 'i'}, wantErr: ErrViolation},
		{name: "RSV2", in: []byte{0xa1, 0x00}, wantErr: ErrViolation},
		{name: "reserved opcode", in: []byte{0x83, 0x00}, wantErr: ErrViolation},
		{name: "fragmented ping", in: []byte{0x09, 0x00}, wantErr: ErrViolation},
		{name: "control over 125 bytes", in: append([]byte{0x8a, 126, 0, 126}, long[:126]...), wantErr: ErrViolation},
		{name: "length not minimal", in: []byte{0x81, 126, 0, 2, 'h', 'i'}, wantErr: ErrViolation},
		{name: "64-bit length not minimal", in: []byte{0x81, 127, 0, 0, 0, 0, 0, 0, 0, 2, 'h', 'i'}, wantErr: ErrViolation},
		{name: "truncated payload", in: []byte{0x81, 0x05, 'h'}, wantErr: io.ErrUnexpectedEOF},
		{name: "nothing", in: nil, wantErr: io.EOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hdr [14]byte
			f, err := readFrame(bytes.NewReader(tc.in), &hdr)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || f.fin != tc.want.fin || f.rsv != tc.want.rsv || f.op != tc.want.op || !bytes.Equal(f.payload, tc.want.payload) {
				t.Fatalf("got %+v, %v; want %+v", f, err, tc.want)
			}
		})
	}
}

func TestAppendFrame(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	tests := []struct {
		name string
		f    Frame
		want []byte
	}{
		{name: "masked text", f: F(OpText, "hi"), want: []byte{0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2}},
		{name: "fragment with RSV3", f: F(OpContinuation, "").NoFin().WithRsv(1), want: []byte{0x10, 0x80, 1, 2, 3, 4}},
		{name: "unmasked", f: Frame{Op: OpPing, Fin: true, Payload: []byte("p"), Unmasked: true}, want: []byte{0x89, 0x01, 'p'}},
		{name: "repeated payload", f: F(OpBinary, "ab").Repeat(3), want: []byte{0x82, 0x83, 1, 2, 3, 4, 'a' ^ 1, 'b' ^ 2, 'a' ^ 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := appendFrame(nil, &tc.f, key); !bytes.Equal(got, tc.want) {
				t.Fatalf("got %x, want %x", got, tc.want)
			}
		})
	}
}

func TestCheckClose(t *testing.T) {
	tests := []struct {
		name    string
		p       []byte
		code    uint16
		wantErr bool
	}{
		{name: "empty", p: nil, code: CloseNoStatus},
		{name: "1000 with reason", p: ClosePayload(1000, []byte("bye")), code: 1000},
		{name: "4999", p: ClosePayload(4999, nil), code: 4999},
		{name: "one byte", p: []byte{3}, wantErr: true},
		{name: "1005 on the wire", p: ClosePayload(1005, nil), wantErr: true},
		{name: "1015 on the wire", p: ClosePayload(1015, nil), wantErr: true},
		{name: "5000", p: ClosePayload(5000, nil), wantErr: true},
		{name: "invalid UTF-8 reason", p: ClosePayload(1000, []byte{0xc0, 0xaf}), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, err := checkClose(tc.p)
			if (err != nil) != tc.wantErr || err == nil && code != tc.code {
				t.Fatalf("code %d err %v; want code %d, error %v", code, err, tc.code, tc.wantErr)
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	autobahn := []Offer{AutobahnOffer(false, 0)}
	tests := []struct {
		name    string
		lines   []string
		offers  []Offer
		want    *Deflate
		wantErr bool
	}{
		{name: "none asked, none given"},
		{name: "declined", offers: autobahn},
		{name: "accepted with server_no_context_takeover", lines: []string{"permessage-deflate; server_no_context_takeover; client_no_context_takeover"}, offers: autobahn,
			want: &Deflate{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}},
		{name: "client window bounded", lines: []string{`permessage-deflate; client_max_window_bits="10"`}, offers: autobahn,
			want: &Deflate{ServerMaxWindowBits: 15, ClientMaxWindowBits: 10}},
		{name: "server window as asked", lines: []string{"permessage-deflate; server_max_window_bits=9"}, offers: []Offer{AutobahnOffer(false, 9)},
			want: &Deflate{ServerMaxWindowBits: 9, ClientMaxWindowBits: 15}},
		{name: "second offer fits", lines: []string{"permessage-deflate; server_no_context_takeover"},
			offers: []Offer{AutobahnOffer(true, 9), AutobahnOffer(true, 0)},
			want:   &Deflate{ServerNoContextTakeover: true, ServerMaxWindowBits: 15, ClientMaxWindowBits: 15}},
		{name: "our own client window hint kept", lines: []string{"permessage-deflate"}, offers: []Offer{{ClientMaxWindowBits: 9}},
			want: &Deflate{ServerMaxWindowBits: 15, ClientMaxWindowBits: 9}},
		{name: "accepted without an offer", lines: []string{"permessage-deflate"}, wantErr: true},
		{name: "two lines", lines: []string{"permessage-deflate", "permessage-deflate"}, offers: autobahn, wantErr: true},
		{name: "two extensions", lines: []string{"permessage-deflate, x-webkit-deflate-frame"}, offers: autobahn, wantErr: true},
		{name: "unknown extension", lines: []string{"x-webkit-deflate-frame"}, offers: autobahn, wantErr: true},
		{name: "unknown parameter", lines: []string{"permessage-deflate; mem_level=8"}, offers: autobahn, wantErr: true},
		{name: "repeated parameter", lines: []string{"permessage-deflate; server_no_context_takeover; server_no_context_takeover"}, offers: autobahn, wantErr: true},
		{name: "value on a flag", lines: []string{"permessage-deflate; client_no_context_takeover=1"}, offers: autobahn, wantErr: true},
		{name: "window bits out of range", lines: []string{"permessage-deflate; client_max_window_bits=16"}, offers: autobahn, wantErr: true},
		{name: "window bits with a leading zero", lines: []string{"permessage-deflate; client_max_window_bits=09"}, offers: autobahn, wantErr: true},
		{name: "client window bits without a value", lines: []string{"permessage-deflate; client_max_window_bits"}, offers: autobahn, wantErr: true},
		{name: "client window not offered", lines: []string{"permessage-deflate; client_max_window_bits=15"}, offers: []Offer{{}}, wantErr: true},
		{name: "client window above the offer", lines: []string{"permessage-deflate; client_max_window_bits=12"}, offers: []Offer{{ClientMaxWindowBits: 10}}, wantErr: true},
		{name: "server_no_context_takeover ignored", lines: []string{"permessage-deflate"}, offers: []Offer{AutobahnOffer(true, 0)}, wantErr: true},
		{name: "server window ignored", lines: []string{"permessage-deflate"}, offers: []Offer{AutobahnOffer(false, 9)}, wantErr: true},
		{name: "server window above the offer", lines: []string{"permessage-deflate; server_max_window_bits=10"}, offers: []Offer{AutobahnOffer(false, 9)}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := negotiate(tc.lines, tc.offers)
			if tc.wantErr {
				if !errors.Is(err, ErrHandshake) {
					t.Fatalf("err %v, want ErrHandshake", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestOfferString(t *testing.T) {
	tests := []struct {
		name string
		o    Offer
		want string
	}{
		{name: "Autobahn's default", o: AutobahnOffer(false, 0), want: "permessage-deflate; client_no_context_takeover; client_max_window_bits"},
		{name: "Autobahn's 13.5", o: AutobahnOffer(true, 9),
			want: "permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=9"},
		{name: "client window with a value", o: Offer{ClientMaxWindowBits: 10}, want: "permessage-deflate; client_max_window_bits=10"},
		{name: "bare", want: "permessage-deflate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.o.String(); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
