package config

import (
	"fmt"
	"math"
	"strconv"
)

// Size is a number of bytes. In TOML it is an integer of bytes (2048) or a string: decimal
// digits, optional spaces, and an optional case-sensitive unit —
//
//	B                bytes
//	KiB, MiB, GiB    1024, 1024², 1024³ bytes
//	KB, MB, GB       1000, 1000², 1000³ bytes (SI)
//
// so "512", "64KiB", "2 MiB" and "1GB" are sizes. Fractions ("1.5MiB"), signs and other
// units are rejected rather than rounded or guessed: write "1536KiB".
type Size int64

// Common sizes.
const (
	KiB Size = 1 << 10
	MiB Size = 1 << 20
	GiB Size = 1 << 30
)

// sizeUnits lists the units, largest first within each family, in the order String tries them.
var sizeUnits = [...]struct {
	name string
	mult Size
}{
	{"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB},
	{"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3},
	{"B", 1},
}

// ParseSize parses the string form of a Size (see Size). Errors wrap ErrSize.
func ParseSize(s string) (Size, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("%w %q: want an integer of bytes with an optional unit, such as \"64KiB\"", ErrSize, s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w %q: too large", ErrSize, s)
	}
	if i < len(s) && (s[i] == '.' || s[i] == ',') {
		return 0, fmt.Errorf("%w %q: no fractions: use a smaller unit, such as \"1536KiB\"", ErrSize, s)
	}
	j := i
	for j < len(s) && s[j] == ' ' {
		j++
	}
	unit := s[j:]
	if unit == "" {
		if j != i { // "12 " is a typo more likely than a size
			return 0, fmt.Errorf("%w %q: trailing space", ErrSize, s)
		}
		return Size(n), nil
	}
	for _, u := range sizeUnits {
		if u.name == unit {
			if n > math.MaxInt64/int64(u.mult) {
				return 0, fmt.Errorf("%w %q: too large", ErrSize, s)
			}
			return Size(n) * u.mult, nil
		}
	}
	return 0, fmt.Errorf("%w %q: unknown unit %q (want B, KiB, MiB, GiB, KB, MB or GB)", ErrSize, s, unit)
}

// UnmarshalTOML implements toml.Unmarshaler: a TOML integer is bytes, a string is parsed
// with ParseSize, anything else (a float, a boolean) is an error.
func (s *Size) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return fmt.Errorf("%w %d: negative", ErrSize, v)
		}
		*s = Size(v)
		return nil
	case string:
		return s.UnmarshalText([]byte(v))
	}
	return fmt.Errorf("%w: want an integer of bytes or a string such as \"64KiB\", not %s", ErrSize, tomlType(v))
}

// tomlType names the TOML type of a decoded value for error messages.
func tomlType(v any) string {
	switch v.(type) {
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case map[string]any:
		return "a table"
	case []any, []map[string]any:
		return "an array"
	}
	return "a datetime" // the only other TOML type
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseSize.
func (s *Size) UnmarshalText(text []byte) error {
	v, err := ParseSize(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// MarshalText implements encoding.TextMarshaler with String.
func (s Size) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// String formats s with the largest unit that divides it exactly, binary units first:
// 1048576 is "1MiB", 1000 is "1KB", 1500 is "1500". ParseSize(s.String()) == s for s >= 0.
func (s Size) String() string {
	if s > 0 {
		for _, u := range sizeUnits[:len(sizeUnits)-1] {
			if s%u.mult == 0 {
				return strconv.FormatInt(int64(s/u.mult), 10) + u.name
			}
		}
	}
	return strconv.FormatInt(int64(s), 10)
}
