package config

import (
	"errors"
	"testing"
)

// sizeCases are strings for ParseSize; err marks the ones it must refuse. BenchmarkParseSize
// and FuzzParseSize share them.
var sizeCases = []struct {
	name string
	in   string
	want Size
	err  bool
}{
	{name: "bytes", in: "512", want: 512},
	{name: "zero", in: "0", want: 0},
	{name: "leading zeros", in: "0064KiB", want: 64 << 10},
	{name: "B", in: "100B", want: 100},
	{name: "KiB", in: "64KiB", want: 65536},
	{name: "MiB", in: "1MiB", want: 1048576},
	{name: "GiB", in: "1GiB", want: 1 << 30},
	{name: "KB", in: "64KB", want: 64000},
	{name: "MB", in: "2MB", want: 2000000},
	{name: "GB", in: "3GB", want: 3000000000},
	{name: "space before unit", in: "2 MiB", want: 2 << 20},
	{name: "spaces before unit", in: "2   KB", want: 2000},
	{name: "largest", in: "9223372036854775807", want: 1<<63 - 1},
	{name: "largest GiB", in: "8589934591GiB", want: 8589934591 << 30},
	{name: "empty", in: "", err: true},
	{name: "unit only", in: "MiB", err: true},
	{name: "negative", in: "-1", err: true},
	{name: "plus", in: "+1", err: true},
	{name: "fraction", in: "1.5MiB", err: true},
	{name: "comma", in: "1,5MiB", err: true},
	{name: "lower-case unit", in: "1mib", err: true},
	{name: "K alone", in: "1K", err: true},
	{name: "TiB", in: "1TiB", err: true},
	{name: "leading space", in: " 1", err: true},
	{name: "trailing space", in: "1 ", err: true},
	{name: "space after unit", in: "1KiB ", err: true},
	{name: "overflow", in: "9223372036854775808", err: true},
	{name: "unit overflow", in: "8589934592GiB", err: true},
	{name: "hex", in: "0x10", err: true},
}

func TestParseSize(t *testing.T) {
	for _, tc := range sizeCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSize(tc.in)
			if tc.err {
				if err == nil || !errors.Is(err, ErrSize) {
					t.Errorf("ParseSize(%q) = %d, %v; want an ErrSize", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
			var s Size
			if err := s.UnmarshalText([]byte(tc.in)); err != nil || s != tc.want {
				t.Errorf("UnmarshalText(%q) = %d, %v; want %d", tc.in, s, err, tc.want)
			}
		})
	}
}

func TestSizeUnmarshalTOML(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   any
		want Size
		err  bool
	}{
		{name: "integer", in: int64(2048), want: 2048},
		{name: "zero", in: int64(0), want: 0},
		{name: "string", in: "64KiB", want: 64 << 10},
		{name: "negative integer", in: int64(-1), err: true},
		{name: "bad string", in: "64 kib", err: true},
		{name: "float", in: 1.5, err: true},
		{name: "bool", in: true, err: true},
		{name: "table", in: map[string]any{}, err: true},
		{name: "array", in: []any{}, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Size(7)
			err := s.UnmarshalTOML(tc.in)
			if tc.err {
				if !errors.Is(err, ErrSize) || s != 7 {
					t.Errorf("UnmarshalTOML(%v) = %d, %v; want ErrSize and no change", tc.in, s, err)
				}
				return
			}
			if err != nil || s != tc.want {
				t.Errorf("UnmarshalTOML(%v) = %d, %v; want %d", tc.in, s, err, tc.want)
			}
		})
	}
}

func TestSizeString(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Size
		want string
	}{
		{"zero", 0, "0"},
		{"bytes", 512, "512"},
		{"KiB", 64 << 10, "64KiB"},
		{"MiB", 1 << 20, "1MiB"},
		{"GiB", 3 << 30, "3GiB"},
		{"binary first", 1024000, "1000KiB"},
		{"KB", 1000, "1KB"},
		{"MB", 5e6, "5MB"},
		{"GB", 1e9, "1GB"},
		{"not a multiple", 1500, "1500"},
		{"negative", -2048, "-2048"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.String(); got != tc.want {
				t.Errorf("Size(%d).String() = %q, want %q", int64(tc.in), got, tc.want)
			}
			if b, _ := tc.in.MarshalText(); string(b) != tc.want {
				t.Errorf("MarshalText = %q, want %q", b, tc.want)
			}
			if tc.in >= 0 {
				if back, err := ParseSize(tc.want); err != nil || back != tc.in {
					t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.want, back, err, tc.in)
				}
			}
		})
	}
}

func BenchmarkParseSize(b *testing.B) {
	for _, tc := range sizeCases {
		if tc.err {
			continue // the refusals are not worth timing
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = ParseSize(tc.in)
			}
		})
	}
}
