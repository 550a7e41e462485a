package conformance

import (
	"fmt"
	"strings"
)

// Closing expectations shared by most cases.
var (
	// closeNormal: the client closes with 1000 after the expected events; the
	// server echoes 1000 and closes the TCP connection.
	closeNormal = Close{ByClient: true, Codes: []uint16{CloseNormal}, Clean: true}
	// failProtocol: the server fails the connection with 1002.
	failProtocol = Close{Codes: []uint16{CloseProtocolError}}
	// failPayload: the server fails the connection with 1007.
	failPayload = Close{Codes: []uint16{CloseInvalidPayload}}
)

// send is the script of the cases that only send frames.
func send(frames ...Frame) func(*Session) error {
	return func(s *Session) error {
		s.Send(frames...)
		return nil
	}
}

// Cases returns every case of the sections wsgate runs (Autobahn's 1–7, 9 at
// the sizes of opts, 10, 12 and 13, then the added x cases), in Autobahn's
// order.
func Cases(opts Limits) []Case {
	var cs []Case
	for _, section := range [][]Case{
		section1(), section2(), section3(), section4(), section5(), section6(), section7(),
		section9(opts), section10(), section12(opts), section13(opts), extraCases(opts),
	} {
		cs = append(cs, section...)
	}
	return cs
}

// Limits scale the cases that Autobahn runs at sizes a unit test cannot
// afford, and tell the added cases the server's limits.
type Limits struct {
	// Scale divides the message sizes of section 9 (and its fragment
	// sizes, so that each message keeps Autobahn's number of frames): 16
	// makes its largest message 1 MiB instead of 16 MiB. Default 16.
	Scale int
	// DeflateBudget bounds the payload bytes one case of sections 12 and
	// 13 echoes (Autobahn sends 1000 messages of every size): count =
	// DeflateBudget/size, between 2 and DeflateCount. Default 32 KiB.
	DeflateBudget int
	// DeflateCount caps the messages of one case of sections 12 and 13;
	// default 50 (Autobahn's count is 1000).
	DeflateCount int
	// MaxMessageSize is the server's max_message_size, for the added cases
	// that check 1009. Default 1 MiB.
	MaxMessageSize int
}

func (l *Limits) normalize() {
	if l.Scale <= 0 {
		l.Scale = 16
	}
	if l.DeflateBudget <= 0 {
		l.DeflateBudget = 32 << 10
	}
	if l.DeflateCount <= 0 {
		l.DeflateCount = 50
	}
	if l.MaxMessageSize <= 0 {
		l.MaxMessageSize = 1 << 20
	}
}

// section1 is framing: text and binary messages of the sizes around the
// length encodings' boundaries.
func section1() []Case {
	var cs []Case
	sizes := []int{0, 125, 126, 127, 128, 65535, 65536}
	for i, op := range []byte{OpText, OpBinary} {
		fill := "*"
		if op == OpBinary {
			fill = "\xfe"
		}
		for j, n := range append(sizes, 65536) {
			p := strings.Repeat(fill, n)
			f := F(op, p)
			title := fmt.Sprintf("message of %d bytes", n)
			if j == len(sizes) {
				f, title = f.Chopped(997), title+" in 997-byte chops"
			}
			cs = append(cs, Case{ID: fmt.Sprintf("1.%d.%d", i+1, j+1), Title: title,
				Script: send(f), Expect: []Event{message(op, []byte(p))}, Close: closeNormal})
		}
	}
	return cs
}

// section2 is pings and pongs.
func section2() []Case {
	ping := func(id, title, p string, chop int) Case {
		f := F(OpPing, p)
		if chop > 0 {
			f = f.Chopped(chop)
		}
		return Case{ID: id, Title: title, Script: send(f), Expect: []Event{Pong(p)}, Close: closeNormal}
	}
	pings := func(id string, chop int) Case {
		var fs []Frame
		var want []Event
		for i := range 10 {
			p := fmt.Sprintf("payload-%d", i)
			f := F(OpPing, p)
			if chop > 0 {
				f = f.Chopped(chop)
			}
			fs, want = append(fs, f), append(want, Pong(p))
		}
		return Case{ID: id, Title: "10 pings", Script: send(fs...), Expect: want, Close: closeNormal}
	}
	unsolicited := func(id, p string) Case {
		return Case{ID: id, Title: "unsolicited pong, then close", Script: func(s *Session) error {
			s.Send(F(OpPong, p))
			s.Close(CloseNormal)
			return nil
		}, Close: closeNormal}
	}
	return []Case{
		ping("2.1", "ping without payload", "", 0),
		ping("2.2", "ping with text payload", "Hello, world!", 0),
		ping("2.3", "ping with binary payload", "\x00\xff\xfe\xfd\xfc\xfb\x00\xff", 0),
		ping("2.4", "ping with 125 bytes", strings.Repeat("\xfe", 125), 0),
		{ID: "2.5", Title: "ping with 126 bytes", Script: send(F(OpPing, strings.Repeat("\xfe", 126))), Close: failProtocol},
		ping("2.6", "ping with 125 bytes in 1-byte chops", strings.Repeat("\xfe", 125), 1),
		unsolicited("2.7", ""),
		unsolicited("2.8", "unsolicited pong payload"),
		{ID: "2.9", Title: "unsolicited pong, then ping",
			Script: send(F(OpPong, "unsolicited pong payload"), F(OpPing, "ping payload")),
			Expect: []Event{Pong("ping payload")}, Close: closeNormal},
		pings("2.10", 0),
		pings("2.11", 1),
	}
}

// section3 is reserved bits, which no extension gives a meaning here.
func section3() []Case {
	const hello = "Hello, world!"
	then := func(id string, rsv byte, mod func(Frame) Frame) Case {
		return Case{ID: id, Title: fmt.Sprintf("text, text with RSV=%d, ping", rsv),
			Script: send(mod(F(OpText, hello)), mod(F(OpText, hello).WithRsv(rsv)), mod(F(OpPing, ""))),
			Expect: []Event{Text(hello)}, Close: failProtocol}
	}
	return []Case{
		{ID: "3.1", Title: "text with RSV=1", Script: send(F(OpText, hello).WithRsv(1)), Close: failProtocol},
		then("3.2", 2, func(f Frame) Frame { return f }),
		then("3.3", 3, Frame.Synced),
		then("3.4", 4, func(f Frame) Frame { return f.Chopped(1) }),
		{ID: "3.5", Title: "binary with RSV=5", Script: send(F(OpBinary, "\x00\xff\xfe\xfd\xfc\xfb\x00\xff").WithRsv(5)), Close: failProtocol},
		{ID: "3.6", Title: "binary with RSV=6", Script: send(F(OpBinary, hello).WithRsv(6)), Close: failProtocol,
			Note: "Autobahn titles it a ping but sends opcode 2; the wire is mirrored"},
		{ID: "3.7", Title: "close with RSV=7", Script: send(F(OpClose, "").WithRsv(7)), Close: failProtocol},
	}
}

// section4 is reserved opcodes.
func section4() []Case {
	const hello = "Hello, world!"
	var cs []Case
	for i, ops := range [][]byte{{3, 4, 5, 6, 7}, {11, 12, 13, 14, 15}} {
		for j, op := range ops {
			id := fmt.Sprintf("4.%d.%d", i+1, j+1)
			title := fmt.Sprintf("reserved opcode %d", op)
			switch j {
			case 0:
				cs = append(cs, Case{ID: id, Title: title, Script: send(F(op, "")), Close: failProtocol})
			case 1:
				cs = append(cs, Case{ID: id, Title: title, Script: send(F(op, "reserved opcode payload")), Close: failProtocol})
			default:
				p := ""
				if j > 2 {
					p = hello
				}
				fs := []Frame{F(OpText, hello), F(op, p), F(OpPing, "")}
				if j == 4 {
					for k := range fs {
						fs[k] = fs[k].Chopped(1)
					}
				}
				cs = append(cs, Case{ID: id, Title: "text, " + title + ", ping", Script: send(fs...),
					Expect: []Event{Text(hello)}, Close: failProtocol})
			}
		}
	}
	return cs
}

// section5 is fragmentation.
func section5() []Case {
	// Three ways of putting the same frames on the wire: together, one
	// frame per write, one byte per write.
	wire := []func(Frame) Frame{func(f Frame) Frame { return f }, Frame.Synced, func(f Frame) Frame { return f.Chopped(1) }}
	apply := func(mode func(Frame) Frame, fs ...Frame) []Frame {
		for i := range fs {
			fs[i] = mode(fs[i])
		}
		return fs
	}
	cont := func(p string) Frame { return F(OpContinuation, p) }
	var cs []Case
	add := func(id, title string, script func(*Session) error, expect []Event, close Close) {
		cs = append(cs, Case{ID: id, Title: title, Script: script, Expect: expect, Close: close})
	}
	add("5.1", "fragmented ping", send(F(OpPing, "fragment1").NoFin(), cont("fragment2")), nil, failProtocol)
	add("5.2", "fragmented pong", send(F(OpPong, "fragment1").NoFin(), cont("fragment2")), nil, failProtocol)
	for i, mode := range wire {
		add(fmt.Sprintf("5.%d", 3+i), "text in 2 fragments",
			send(apply(mode, F(OpText, "fragment1").NoFin(), cont("fragment2"))...),
			[]Event{Text("fragment1fragment2")}, closeNormal)
	}
	for i, mode := range wire {
		add(fmt.Sprintf("5.%d", 6+i), "text in 2 fragments, a ping between",
			send(apply(mode, F(OpText, "fragment1").NoFin(), F(OpPing, "ping payload"), cont("fragment2"))...),
			[]Event{Pong("ping payload"), Text("fragment1fragment2")}, closeNormal)
	}
	for i, mode := range wire {
		add(fmt.Sprintf("5.%d", 9+i), "continuation (FIN) without a message, then text",
			send(apply(mode, cont("non-continuation payload"), F(OpText, "Hello, world!"))...), nil, failProtocol)
	}
	for i, mode := range wire {
		add(fmt.Sprintf("5.%d", 12+i), "continuation (no FIN) without a message, then text",
			send(apply(mode, cont("non-continuation payload").NoFin(), F(OpText, "Hello, world!"))...), nil, failProtocol)
	}
	add("5.15", "text in 2 fragments, then a continuation and a text frame",
		send(F(OpText, "fragment1").NoFin(), cont("fragment2"), cont("fragment3").NoFin(), F(OpText, "fragment4")),
		[]Event{Text("fragment1fragment2")}, failProtocol)
	twice := func(fs ...Frame) []Frame { return append(fs, fs...) }
	add("5.16", "continuation, text, continuation (twice)",
		send(twice(cont("fragment1").NoFin(), F(OpText, "fragment2").NoFin(), cont("fragment3"))...), nil, failProtocol)
	add("5.17", "continuation (FIN), text, continuation (twice)",
		send(twice(cont("fragment1"), F(OpText, "fragment2").NoFin(), cont("fragment3"))...), nil, failProtocol)
	add("5.18", "text fragment followed by a text frame", send(F(OpText, "fragment1").NoFin(), F(OpText, "fragment2")), nil, failProtocol)
	for i, mode := range wire[:2] {
		frags := []string{"fragment1", "fragment2", "fragment3", "fragment4", "fragment5"}
		pings := []string{"pongme 1!", "pongme 2!"}
		add(fmt.Sprintf("5.%d", 19+i), "text in 5 fragments with 2 pings between, a pause after the first",
			func(s *Session) error {
				s.Send(apply(mode, F(OpText, frags[0]).NoFin(), cont(frags[1]).NoFin(), F(OpPing, pings[0]))...)
				s.Sleep(s.Pace())
				// Stricter than Autobahn, which checks only the order: the
				// first ping is answered before the message is complete.
				if !s.Has(Pong(pings[0])) {
					return fmt.Errorf("%w: the ping inside the fragmented message was not answered within %v", ErrTimeout, s.Pace())
				}
				s.Send(apply(mode, cont(frags[2]).NoFin(), cont(frags[3]).NoFin(), F(OpPing, pings[1]), cont(frags[4]))...)
				return nil
			},
			[]Event{Pong(pings[0]), Pong(pings[1]), Text(strings.Join(frags, ""))}, closeNormal)
	}
	return cs
}

// section7 is the closing handshake.
func section7() []Case {
	const hello = "Hello World!"
	closeThen := func(fs ...Frame) func(*Session) error {
		return func(s *Session) error {
			s.Close(CloseNormal)
			s.Send(fs...)
			return nil
		}
	}
	closeWith := func(p []byte) func(*Session) error {
		return func(s *Session) error {
			s.CloseFrame(p)
			return nil
		}
	}
	big := strings.Repeat("BAsd7&jh23", 256<<10/10+1)[:256<<10]
	cs := []Case{
		{ID: "7.1.1", Title: "message, then close", Script: send(F(OpText, hello)), Expect: []Event{Text(hello)}, Close: closeNormal},
		{ID: "7.1.2", Title: "two close frames", Script: closeThen(F(OpClose, "")), Close: closeNormal},
		{ID: "7.1.3", Title: "ping after close", Script: closeThen(F(OpPing, "")), Close: closeNormal},
		{ID: "7.1.4", Title: "text after close", Script: closeThen(F(OpText, hello)), Close: closeNormal},
		{ID: "7.1.5", Title: "fragment, close, fragment", Script: func(s *Session) error {
			s.Send(F(OpText, "fragment1").NoFin())
			s.Close(CloseNormal)
			s.Send(F(OpContinuation, "fragment2"))
			return nil
		}, Close: closeNormal},
		{ID: "7.1.6", Title: "256 KiB message, message, close, ping", Script: func(s *Session) error {
			s.Send(F(OpText, big), F(OpText, hello))
			s.Close(CloseNormal)
			s.Send(F(OpPing, ""))
			return nil
		}, Expect: []Event{Text(big), Text(hello)}, Close: closeNormal,
			Note: "informational in Autobahn; here both messages must be echoed, in order, before the close"},
		{ID: "7.3.1", Title: "close without payload", Script: closeWith(nil),
			Close: Close{ByClient: true, Codes: []uint16{CloseNormal, CloseNoStatus}, Clean: true}},
		{ID: "7.3.2", Title: "close with a 1-byte payload", Script: closeWith([]byte("a")),
			Close: Close{ByClient: true, Codes: []uint16{CloseProtocolError}}},
		{ID: "7.3.3", Title: "close with code 1000", Script: closeWith(ClosePayload(1000, nil)), Close: closeNormal},
		{ID: "7.3.4", Title: "close with code and reason", Script: closeWith(ClosePayload(1000, []byte(hello))), Close: closeNormal},
		{ID: "7.3.5", Title: "close with a 123-byte reason", Script: closeWith(ClosePayload(1000, []byte(strings.Repeat("*", 123)))), Close: closeNormal},
		{ID: "7.3.6", Title: "close with a 124-byte reason (126-byte payload)",
			Script: closeWith(ClosePayload(1000, []byte(strings.Repeat("*", 124)))),
			Close:  Close{ByClient: true, Codes: []uint16{CloseProtocolError}}},
		{ID: "7.5.1", Title: "close with an invalid UTF-8 reason",
			Script: closeWith(ClosePayload(1000, []byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64"))),
			Close:  Close{ByClient: true, Codes: []uint16{CloseProtocolError, CloseInvalidPayload}}},
	}
	for i, code := range []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		cs = append(cs, Case{ID: fmt.Sprintf("7.7.%d", i+1), Title: fmt.Sprintf("close with valid code %d", code),
			Script: closeWith(ClosePayload(code, nil)),
			Close:  Close{ByClient: true, Codes: []uint16{CloseNormal, uint16(code)}, Clean: true}})
	}
	for i, code := range []int{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999} {
		cs = append(cs, Case{ID: fmt.Sprintf("7.9.%d", i+1), Title: fmt.Sprintf("close with invalid code %d", code),
			Script: closeWith(ClosePayload(code, nil)),
			Close:  Close{ByClient: true, Codes: []uint16{CloseProtocolError}}})
	}
	for i, code := range []int{5000, 65535} {
		cs = append(cs, Case{ID: fmt.Sprintf("7.13.%d", i+1), Title: fmt.Sprintf("close with code %d", code),
			Script: closeWith(ClosePayload(code, nil)),
			Close:  Close{ByClient: true, Codes: []uint16{CloseNormal, uint16(code), CloseProtocolError}},
			Note:   "informational in Autobahn (the spec leaves it open); wsgate answers 1002 (RFC 6455 §7.4.2: codes above 4999 are not defined)"})
	}
	return cs
}

// section10 is auto-fragmentation of the client's message.
func section10() []Case {
	p := strings.Repeat("*", 65536)
	return []Case{{ID: "10.1.1", Title: "64 KiB text auto-fragmented to 1300 bytes", Script: func(s *Session) error {
		s.SetAutoFragment(1300)
		s.SendMessage(OpText, []byte(p), 0)
		return nil
	}, Expect: []Event{Text(p)}, Close: closeNormal}}
}
