package config

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is a *FieldError with one of
// the package's sentinels, and that an accepted file is valid, normalized, and survives
// Marshal and Parse unchanged.
func FuzzParse(f *testing.F) {
	f.Add(Example())
	f.Add([]byte(fullFile))
	for _, tc := range parseCases {
		f.Add([]byte(tc.in))
	}
	for _, tc := range parseErrorCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if c != nil {
				t.Fatalf("Parse returned a config and %v", err)
			}
			for _, fe := range fieldErrors(t, err) {
				if !errors.Is(fe, ErrDecode) && !errors.Is(fe, ErrUnknownKey) && !errors.Is(fe, ErrInvalid) {
					t.Fatalf("error %q wraps no sentinel", fe)
				}
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid config: %v", err)
		}
		n := *c
		n.Apps = append([]App(nil), c.Apps...)
		n.Normalize()
		if !reflect.DeepEqual(&n, c) {
			t.Fatalf("Parse result is not normalized:\n%+v\n%+v", c, &n)
		}
		roundTrip(t, c)
	})
}

// FuzzParseSize checks that ParseSize never panics, never returns a negative size, and
// that String writes what ParseSize reads back.
func FuzzParseSize(f *testing.F) {
	for _, tc := range sizeCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseSize(s)
		if err != nil {
			if !errors.Is(err, ErrSize) {
				t.Fatalf("ParseSize(%q): %v is not ErrSize", s, err)
			}
			return
		}
		if v < 0 {
			t.Fatalf("ParseSize(%q) = %d", s, v)
		}
		if back, err := ParseSize(v.String()); err != nil || back != v {
			t.Fatalf("ParseSize(%q) = %d; String %q reads back as %d, %v", s, v, v.String(), back, err)
		}
	})
}
