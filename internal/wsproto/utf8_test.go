package wsproto

import (
	"math/rand/v2"
	"sync"
	"testing"
	"unicode/utf8"
)

var utf8Cases = []struct {
	name  string
	input string
	valid bool
}{
	{name: "empty", input: "", valid: true},
	{name: "ASCII", input: "Hello-µ@ßöäüàá-UTF-8!!", valid: true},
	{name: "kosme", input: "κόσμε", valid: true},
	{name: "boundaries", input: "\x00\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", valid: true},
	{name: "before surrogates", input: "\xed\x9f\xbf", valid: true},
	{name: "noncharacter U+FFFE", input: "\xef\xbf\xbe", valid: true},
	{name: "lone continuation", input: "a\x80", valid: false},
	{name: "C0 overlong", input: "\xc0\x80", valid: false},
	{name: "C1 overlong", input: "\xc1\xbf", valid: false},
	{name: "E0 overlong", input: "\xe0\x9f\xbf", valid: false},
	{name: "surrogate", input: "\xed\xa0\x80", valid: false},
	{name: "F0 overlong", input: "\xf0\x8f\xbf\xbf", valid: false},
	{name: "past U+10FFFF", input: "\xf4\x90\x80\x80", valid: false},
	{name: "F5", input: "\xf5\x80\x80\x80", valid: false},
	{name: "FF", input: "\xff", valid: false},
	{name: "truncated 2", input: "\xc2", valid: false},
	{name: "truncated 3", input: "ab\xe2\x82", valid: false},
	{name: "truncated 4", input: "\xf0\x9f\x98", valid: false},
	{name: "lead then ASCII", input: "\xe2a\x82", valid: false},
	{name: "long ASCII then bad", input: "0123456789abcdefghijklmnopqrstuvwxyz\xfe", valid: false},
}

// validPrefixes is the set of every proper prefix of a rune's encoding:
// the only incomplete tails that may still become valid.
var validPrefixes = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool)
	var buf [4]byte
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		n := utf8.EncodeRune(buf[:], r)
		for i := 1; i < n; i++ {
			m[string(buf[:i])] = true
		}
	}
	return m
})

// canContinue is the oracle for fail-fast: could some bytes after p make it valid?
func canContinue(p []byte) bool {
	if utf8.Valid(p) {
		return true
	}
	for k := 1; k <= 3 && k <= len(p); k++ {
		if validPrefixes()[string(p[len(p)-k:])] && utf8.Valid(p[:len(p)-k]) {
			return true
		}
	}
	return false
}

func validateChunks(p []byte, cuts []int) utf8State {
	s, prev := utf8Accept, 0
	for _, c := range append(cuts, len(p)) {
		if s = s.validate(p[prev:c]); s == utf8Reject {
			return s
		}
		prev = c
	}
	return s
}

func TestUTF8(t *testing.T) {
	for _, tt := range utf8Cases {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.input)
			for _, cuts := range everySplit(len(in)) {
				if got := validateChunks(in, cuts) == utf8Accept; got != tt.valid {
					t.Fatalf("cuts %v: valid = %v, want %v", cuts, got, tt.valid)
				}
			}
		})
	}
}

// TestUTF8FailFast checks on random byte strings that the state machine
// rejects exactly at the first byte after which no continuation is valid,
// whatever the chunking, and accepts exactly what utf8.Valid accepts.
func TestUTF8FailFast(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{'a', 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff}
	for range 20000 {
		in := make([]byte, 1+rng.IntN(12))
		for i := range in {
			in[i] = alphabet[rng.IntN(len(alphabet))]
		}
		s := utf8Accept
		for i, b := range in {
			s = s.validate([]byte{b})
			if want := canContinue(in[:i+1]); (s != utf8Reject) != want {
				t.Fatalf("%x: after byte %d rejected=%v, want %v", in, i, s == utf8Reject, !want)
			}
			if s == utf8Reject {
				break
			}
		}
		whole := utf8Accept.validate(in)
		if (whole == utf8Accept) != utf8.Valid(in) {
			t.Fatalf("%x: accepted=%v, utf8.Valid=%v", in, whole == utf8Accept, utf8.Valid(in))
		}
		if (whole == utf8Reject) != (s == utf8Reject) {
			t.Fatalf("%x: whole rejected=%v, byte by byte %v", in, whole == utf8Reject, s == utf8Reject)
		}
	}
}

func BenchmarkUTF8(b *testing.B) {
	for _, size := range []int{64, 4096} {
		text := make([]byte, 0, size)
		for len(text) < size {
			text = append(text, "κόσμε ascii text "...)
		}
		text = text[:size]
		for !utf8.Valid(text) { // do not end inside a rune
			text = text[:len(text)-1]
		}
		b.Run(sizeName(len(text)), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				if utf8Accept.validate(text) != utf8Accept {
					b.Fatal("invalid")
				}
			}
		})
	}
}
