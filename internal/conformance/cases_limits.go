package conformance

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// echo returns a script that sends with do and takes the echo with Recv,
// checking type and every byte (Autobahn's section 9 checks the length).
func echo(want Event, do func(*Session)) func(*Session) error {
	return func(s *Session) error {
		do(s)
		return expectEcho(s, want)
	}
}

func expectEcho(s *Session, want Event) error {
	got, err := s.Recv()
	if err != nil {
		return err
	}
	if !got.equal(want) {
		return fmt.Errorf("%w: got %s, want %s", ErrEvents, got, want)
	}
	return nil
}

// repeat returns p repeated and cut to n bytes (Autobahn's payload_len).
func repeat(p string, n int) []byte {
	return []byte(strings.Repeat(p, n/len(p)+1)[:n])
}

// section9 is limits and performance, at 1/Scale of Autobahn's sizes.
func section9(l Limits) []Case {
	l.normalize()
	sc := l.Scale
	var cs []Case
	for i, n := range []int{64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20} {
		t, b := repeat("BAsd7&jh23", n/sc), repeat("\x00\xfe\x23\xfa\xf0", n/sc)
		cs = append(cs,
			Case{ID: fmt.Sprintf("9.1.%d", i+1), Title: fmt.Sprintf("text of %d bytes", len(t)),
				Script: echo(textBytes(t), func(s *Session) { s.Send(Frame{Op: OpText, Fin: true, Payload: t}) }), Close: closeNormal},
			Case{ID: fmt.Sprintf("9.2.%d", i+1), Title: fmt.Sprintf("binary of %d bytes", len(b)),
				Script: echo(Binary(b), func(s *Session) { s.Send(Frame{Op: OpBinary, Fin: true, Payload: b}) }), Close: closeNormal})
	}
	n := 4 << 20 / sc
	ft, fb := bytes.Repeat([]byte("*"), n), bytes.Repeat([]byte("\xfe"), n)
	var tf, bf []Case
	for i, frag := range []int{64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20} {
		frag = max(1, frag/sc) // keep Autobahn's number of frames per message
		tf = append(tf, Case{ID: fmt.Sprintf("9.3.%d", i+1), Title: fmt.Sprintf("text of %d bytes in %d-byte fragments", n, frag),
			Script: echo(textBytes(ft), func(s *Session) { s.SendMessage(OpText, ft, frag) }), Close: closeNormal})
		bf = append(bf, Case{ID: fmt.Sprintf("9.4.%d", i+1), Title: fmt.Sprintf("binary of %d bytes in %d-byte fragments", n, frag),
			Script: echo(Binary(fb), func(s *Session) { s.SendMessage(OpBinary, fb, frag) }), Close: closeNormal})
	}
	cs = append(append(cs, tf...), bf...)
	cn := 1 << 20 / sc
	ct, cb := repeat("BAsd7&jh23", cn), repeat("\x00\xfe\x23\xfa\xf0", cn)
	tf, bf = nil, nil
	for i, chop := range []int{64, 128, 256, 512, 1024, 2048} {
		tf = append(tf, Case{ID: fmt.Sprintf("9.5.%d", i+1), Title: fmt.Sprintf("text of %d bytes in %d-byte chops", cn, chop),
			Script: echo(textBytes(ct), func(s *Session) { s.Send(Frame{Op: OpText, Fin: true, Payload: ct, Chop: chop}) }), Close: closeNormal})
		bf = append(bf, Case{ID: fmt.Sprintf("9.6.%d", i+1), Title: fmt.Sprintf("binary of %d bytes in %d-byte chops", cn, chop),
			Script: echo(Binary(cb), func(s *Session) { s.Send(Frame{Op: OpBinary, Fin: true, Payload: cb, Chop: chop}) }), Close: closeNormal})
	}
	cs = append(append(cs, tf...), bf...)
	for k, op := range []byte{OpText, OpBinary} {
		for i, size := range []int{0, 16, 64, 256, 1024, 4096} {
			fill := "*"
			if op == OpBinary {
				fill = "\xfe"
			}
			p := bytes.Repeat([]byte(fill), size)
			want := message(op, p)
			cs = append(cs, Case{ID: fmt.Sprintf("9.%d.%d", 7+k, i+1), Title: fmt.Sprintf("1000 round trips of %d bytes", size),
				Script: func(s *Session) error {
					for range 1000 {
						s.Send(Frame{Op: op, Fin: true, Payload: p})
						if err := expectEcho(s, want); err != nil {
							return err
						}
					}
					return nil
				}, Close: closeNormal})
		}
	}
	return cs
}

// extraCases are checks of RFC 6455 and RFC 7692 rules that Autobahn's
// sections 1-13 do not make; their ids start with "x" and the section they
// extend.
func extraCases(l Limits) []Case {
	l.normalize()
	max := l.MaxMessageSize
	tooBig := Close{Codes: []uint16{CloseTooBig}}
	deflate := []Offer{AutobahnOffer(false, 0)}
	cs := []Case{
		{ID: "x5.1", Title: "unmasked text frame", Script: send(Frame{Op: OpText, Fin: true, Payload: []byte("Hello"), Unmasked: true}),
			Close: failProtocol, Note: "RFC 6455 §5.1: a server must close on an unmasked frame"},
		{ID: "x5.2", Title: "64-bit length with the most significant bit set", Script: func(s *Session) error {
			k := s.key()
			s.write(append([]byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1}, k[:]...))
			return nil
		}, Close: failProtocol, Note: "RFC 6455 §5.2"},
		{ID: "x5.3", Title: "ping with 126 bytes in the 16-bit length form, header only", Script: func(s *Session) error {
			k := s.key()
			s.write(append([]byte{0x89, 0xfe, 0, 126}, k[:]...))
			return nil
		}, Close: failProtocol, Note: "RFC 6455 §5.5: decided from the header, before the payload"},
		{ID: "x9.1", Title: fmt.Sprintf("text frame header announcing %d bytes, payload never sent", max+1), Script: func(s *Session) error {
			k := s.key()
			hdr := binary.BigEndian.AppendUint64([]byte{0x81, 0xff}, uint64(max+1))
			s.write(append(hdr, k[:]...))
			return nil
		}, Close: tooBig, Note: "RFC 6455 §10.4: the size is judged from the header, before any payload is buffered"},
		{ID: "x9.2", Title: "fragments adding up to one byte over max_message_size", Script: func(s *Session) error {
			half := max / 2
			s.Send(Frame{Op: OpBinary, Payload: make([]byte, half)})
			k := s.key()
			hdr := binary.BigEndian.AppendUint64([]byte{0x80, 0xff}, uint64(max-half+1))
			s.write(append(hdr, k[:]...))
			return nil
		}, Close: tooBig},
		{ID: "x9.3", Title: "message of exactly max_message_size in 2 fragments", Script: func(s *Session) error {
			p := bytes.Repeat([]byte("a"), max)
			s.Send(Frame{Op: OpText, Payload: p[:max/2]}, Frame{Op: OpContinuation, Fin: true, Payload: p[max/2:]})
			return expectEcho(s, textBytes(p))
		}, Close: closeNormal},
		{ID: "x12.1", Title: "compressed message inflating past max_message_size (a zip bomb)", Offers: deflate,
			Script: func(s *Session) error {
				s.SendMessage(OpBinary, make([]byte, max+1), 0)
				return nil
			}, Close: tooBig, Note: "RFC 7692 §8.1 / RFC 6455 §10.4: the inflated size is checked while inflating"},
		{ID: "x12.2", Title: "RSV1 on a continuation frame", Offers: deflate, Script: func(s *Session) error {
			c := s.codec.compress([]byte("Hello, compressed world! Hello, compressed world!"))
			s.Send(Frame{Op: OpText, Rsv: 4, Payload: c[:2]}, Frame{Op: OpContinuation, Fin: true, Rsv: 4, Payload: c[2:]})
			return nil
		}, Close: failProtocol, Note: "RFC 7692 §6.1: RSV1 only on the first frame of a message"},
		{ID: "x12.3", Title: "RSV1 on a ping", Offers: deflate, Script: send(F(OpPing, "x").WithRsv(4)),
			Close: failProtocol, Note: "RFC 7692 §6: control frames are never compressed"},
		{ID: "x12.4", Title: "compressed message that is not DEFLATE", Offers: deflate,
			Script: send(Frame{Op: OpBinary, Fin: true, Rsv: 4, Payload: []byte{0xff, 0xff, 0xff}}),
			Close:  failPayload, Note: "RFC 7692 §7.2.2: data that does not inflate fails the connection"},
		{ID: "x12.5", Title: "compressed text that inflates to invalid UTF-8", Offers: deflate, Script: func(s *Session) error {
			s.SendMessage(OpText, []byte("valid so far, then \xed\xa0\x80 a surrogate"), 0)
			return nil
		}, Close: failPayload},
		{ID: "x12.6", Title: "uncompressed message on a compressed connection", Offers: deflate,
			Script: send(F(OpText, "Hello, plain world!")), Expect: []Event{Text("Hello, plain world!")}, Close: closeNormal,
			Note: "RFC 7692 §6: RSV1 clear means the message is not compressed"},
		{ID: "x12.7", Title: "compressed empty message", Offers: deflate, Script: func(s *Session) error {
			s.SendMessage(OpText, nil, 0)
			return nil
		}, Expect: []Event{Text("")}, Close: closeNormal},
	}
	return append(cs, contextTakeoverCases(l)...)
}
