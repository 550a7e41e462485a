package conformance

import (
	"fmt"
	"unicode/utf8"
)

// section6 is UTF-8 handling: 6.1-6.4 by hand, 6.5-6.23 from Autobahn's
// table (Markus Kuhn's UTF-8 decoder stress test). Each of 6.5-6.23 is sent
// as Autobahn sends it, in one frame, and, beyond Autobahn, twice more so
// that every byte boundary of the sequence falls between two reads of the
// server: "+frag1" as a message of 1-byte fragments, "+chop1" as one frame
// written a byte at a time.
func section6() []Case {
	const (
		p1    = "Hello-µ@ßöä"
		p2    = "üàá-UTF-8!!"
		kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5" // κόσμε
	)
	msg := func(p string, frag int) func(*Session) error {
		return func(s *Session) error {
			s.SendMessage(OpText, []byte(p), frag)
			return nil
		}
	}
	cont := func(p string) Frame { return F(OpContinuation, p) }
	invalid := kosme + "\xed\xa0\x80" + "edited"
	cs := []Case{
		{ID: "6.1.1", Title: "empty text", Script: send(F(OpText, "")), Expect: []Event{Text("")}, Close: closeNormal},
		{ID: "6.1.2", Title: "empty text in 3 empty fragments", Script: send(F(OpText, "").NoFin(), cont("").NoFin(), cont("")),
			Expect: []Event{Text("")}, Close: closeNormal},
		{ID: "6.1.3", Title: "text in 3 fragments, the first and last empty",
			Script: send(F(OpText, "").NoFin(), cont("middle frame payload").NoFin(), cont("")),
			Expect: []Event{Text("middle frame payload")}, Close: closeNormal},
		{ID: "6.2.1", Title: "valid UTF-8 in one frame", Script: msg(p1+p2, 0), Expect: []Event{Text(p1 + p2)}, Close: closeNormal},
		{ID: "6.2.2", Title: "valid UTF-8 in 2 fragments split at a code point", Script: send(F(OpText, p1).NoFin(), cont(p2)),
			Expect: []Event{Text(p1 + p2)}, Close: closeNormal},
		{ID: "6.2.3", Title: "valid UTF-8 in 1-byte fragments", Script: msg(p1+p2, 1), Expect: []Event{Text(p1 + p2)}, Close: closeNormal},
		{ID: "6.2.4", Title: "valid UTF-8 (κόσμε) in 1-byte fragments", Script: msg(kosme, 1), Expect: []Event{Text(kosme)}, Close: closeNormal},
		{ID: "6.3.1", Title: "invalid UTF-8 in one frame", Script: msg(invalid, 0), Close: failPayload},
		{ID: "6.3.2", Title: "invalid UTF-8 in 1-byte fragments", Script: msg(invalid, 1), Close: failPayload},
	}
	// 6.4: fail fast. The part that makes the text invalid (F4 90 80 80 is
	// past U+10FFFF; F4 90 is already) must end the connection before the
	// rest is sent.
	const bad = kosme + "\xf4\x90\x80\x80" + "edited"
	fragments := func(parts ...string) func(*Session) error {
		return func(s *Session) error {
			s.Send(F(OpText, parts[0]).NoFin())
			s.Sleep(s.Pace())
			if !s.Mark("A") {
				return nil
			}
			s.Send(cont(parts[1]).NoFin())
			s.Sleep(s.Pace())
			if !s.Mark("B") {
				return nil
			}
			s.Send(cont(parts[2]))
			return nil
		}
	}
	chops := func(parts ...string) func(*Session) error {
		return func(s *Session) error {
			b := appendFrame(nil, &Frame{Op: OpText, Fin: true, Payload: []byte(bad)}, s.key())
			at := len(b) - len(bad) + len(parts[0])
			s.write(b[:at])
			s.Sleep(s.Pace())
			if !s.Mark("A") {
				return nil
			}
			s.write(b[at : at+len(parts[1])])
			s.Sleep(s.Pace())
			if !s.Mark("B") {
				return nil
			}
			s.write(b[at+len(parts[1]):])
			return nil
		}
	}
	failFast := Close{Codes: []uint16{CloseInvalidPayload}}
	cs = append(cs,
		Case{ID: "6.4.1", Title: "invalid UTF-8 in the second of 3 fragments", Script: fragments(kosme, "\xf4\x90\x80\x80", "edited"),
			Expect: []Event{Timeout("A")}, Close: failFast},
		Case{ID: "6.4.2", Title: "invalid UTF-8 at the first byte of the second of 3 fragments", Script: fragments(bad[:12], bad[12:13], bad[13:]),
			Expect: []Event{Timeout("A")}, Close: failFast},
		Case{ID: "6.4.3", Title: "invalid UTF-8 in the second of 3 chops of one frame", Script: chops(kosme, "\xf4\x90\x80\x80", "edited"),
			Expect: []Event{Timeout("A")}, Close: failFast},
		Case{ID: "6.4.4", Title: "invalid UTF-8 at the first byte of the second of 3 chops of one frame", Script: chops(bad[:12], bad[12:13], bad[13:]),
			Expect: []Event{Timeout("A")}, Close: failFast},
	)
	for i, group := range utf8Sequences() {
		for j, seq := range group.seqs {
			id := fmt.Sprintf("6.%d.%d", i+5, j+1)
			title := fmt.Sprintf("%s: %x", group.name, seq.s)
			for _, v := range []struct {
				suffix string
				script func(*Session) error
			}{
				{"", msg(seq.s, 0)},
				{"+frag1", msg(seq.s, 1)},
				{"+chop1", send(F(OpText, seq.s).Chopped(1))},
			} {
				c := Case{ID: id + v.suffix, Title: title, Script: v.script, Close: failPayload}
				if seq.valid {
					c.Expect, c.Close = []Event{Text(seq.s)}, closeNormal
				}
				cs = append(cs, c)
			}
		}
	}
	return cs
}

type utf8Seq struct {
	valid bool
	s     string
}

type utf8Group struct {
	name string
	seqs []utf8Seq
}

// utf8Sequences is Autobahn's createUtf8TestSequences (case6_x_x.py), in its
// order: group k becomes cases 6.(k+5).x.
func utf8Sequences() []utf8Group {
	ok := func(ss ...string) []utf8Seq {
		out := make([]utf8Seq, len(ss))
		for i, s := range ss {
			out[i] = utf8Seq{true, s}
		}
		return out
	}
	bad := func(ss ...string) []utf8Seq {
		out := make([]utf8Seq, len(ss))
		for i, s := range ss {
			out[i] = utf8Seq{false, s}
		}
		return out
	}
	const vss = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
	var prefixes []utf8Seq
	for i := 1; i <= len(vss); i++ {
		// Autobahn's validator: valid so far and ending on a code point.
		prefixes = append(prefixes, utf8Seq{utf8.ValidString(vss[:i]), vss[:i]})
	}
	var cont string
	for c := 0x80; c < 0xbf; c++ { // Python's xrange(0x80, 0xbf) stops before 0xbf
		cont += string([]byte{byte(c)})
	}
	var lonely []string
	for _, r := range [][2]int{{0xc0, 0xdf}, {0xe0, 0xef}, {0xf0, 0xf7}, {0xf8, 0xfb}, {0xfc, 0xfd}} {
		var s []byte
		for c := r[0]; c < r[1]; c++ {
			s = append(s, byte(c), 0x20)
		}
		lonely = append(lonely, string(s))
	}
	missing := []string{"\xc0", "\xe0\x80", "\xf0\x80\x80", "\xf8\x80\x80\x80", "\xfc\x80\x80\x80\x80",
		"\xdf", "\xef\xbf", "\xf7\xbf\xbf", "\xfb\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf"}
	var concat string
	for _, s := range missing {
		concat += s
	}
	nonChars := ok("\xef\xbf\xbe", "\xef\xbf\xbf")
	for _, z1 := range []byte{0xf0, 0xf1, 0xf2, 0xf3, 0xf4} {
		for _, z2 := range []byte{0x8f, 0x9f, 0xaf, 0xbf} {
			if z1 == 0xf4 && z2 != 0x8f {
				continue // past U+10FFFF
			}
			for _, z3 := range []byte{0xbe, 0xbf} {
				zz := string([]byte{z1, z2, 0xbf, z3})
				if zz != "\xf0\x8f\xbf\xbe" && zz != "\xf0\x8f\xbf\xbf" { // overlong
					nonChars = append(nonChars, utf8Seq{true, zz})
				}
			}
		}
	}
	return []utf8Group{
		{"Some valid UTF-8 sequences", ok("hello\x24world", "hello\xc2\xa2world", "hello\xe2\x82\xacworld", "hello\xf0\xa4\xad\xa2world", vss)},
		{"All prefixes of a valid UTF-8 string that contains multi-byte code points", prefixes},
		{"First possible sequence of a certain length", ok("\x00", "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80")},
		{"First possible sequence length 5/6 (invalid codepoints)", bad("\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80")},
		{"Last possible sequence of a certain length", ok("\x7f", "\xdf\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf")},
		{"Last possible sequence length 4/5/6 (invalid codepoints)", bad("\xf7\xbf\xbf\xbf", "\xfb\xbf\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf\xbf")},
		{"Other boundary conditions", append(ok("\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf"), bad("\xf4\x90\x80\x80")...)},
		{"Unexpected continuation bytes", bad("\x80", "\xbf", "\x80\xbf", "\x80\xbf\x80", "\x80\xbf\x80\xbf", "\x80\xbf\x80\xbf\x80", "\x80\xbf\x80\xbf\x80\xbf", cont)},
		{"Lonely start characters", bad(lonely...)},
		{"Sequences with last continuation byte missing", bad(missing...)},
		{"Concatenation of incomplete sequences", bad(concat)},
		{"Impossible bytes", bad("\xfe", "\xff", "\xfe\xfe\xff\xff")},
		{"Examples of an overlong ASCII character", bad("\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf8\x80\x80\x80\xaf", "\xfc\x80\x80\x80\x80\xaf")},
		{"Maximum overlong sequences", bad("\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", "\xf8\x87\xbf\xbf\xbf", "\xfc\x83\xbf\xbf\xbf\xbf")},
		{"Overlong representation of the NUL character", bad("\xc0\x80", "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xf8\x80\x80\x80\x80", "\xfc\x80\x80\x80\x80\x80")},
		{"Single UTF-16 surrogates", bad("\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf", "\xed\xb0\x80", "\xed\xbe\x80", "\xed\xbf\xbf")},
		{"Paired UTF-16 surrogates", bad("\xed\xa0\x80\xed\xb0\x80", "\xed\xa0\x80\xed\xbf\xbf", "\xed\xad\xbf\xed\xb0\x80", "\xed\xad\xbf\xed\xbf\xbf",
			"\xed\xae\x80\xed\xb0\x80", "\xed\xae\x80\xed\xbf\xbf", "\xed\xaf\xbf\xed\xb0\x80", "\xed\xaf\xbf\xed\xbf\xbf")},
		{"Non-character code points (valid UTF-8)", nonChars},
		{"Unicode specials (i.e. replacement char)", ok("\xef\xbf\xb9", "\xef\xbf\xba", "\xef\xbf\xbb", "\xef\xbf\xbc", "\xef\xbf\xbd", "\xef\xbf\xbe", "\xef\xbf\xbf")},
	}
}
