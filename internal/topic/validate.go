package topic

import (
	"strings"
	"unicode/utf8"
)

// MaxLen is the longest topic or filter, in bytes.
const MaxLen = 256

// ValidTopic checks a topic to publish to: 1 to MaxLen bytes of UTF-8, no NUL, no '+' or '#'.
func ValidTopic(t string) error {
	if err := validCommon(t); err != nil {
		return err
	}
	if strings.ContainsAny(t, "+#") {
		return ErrWildcard
	}
	return nil
}

// ValidFilter checks a subscription filter: a topic whose levels may be "+" and whose last
// level may be "#"; a wildcard character anywhere else is an error.
func ValidFilter(f string) error {
	if err := validCommon(f); err != nil {
		return err
	}
	if !strings.ContainsAny(f, "+#") {
		return nil
	}
	for rest, more := f, true; more; {
		var level string
		level, rest, more = strings.Cut(rest, "/")
		switch {
		case level == "+":
		case level == "#":
			if more {
				return ErrBadWildcard
			}
		case strings.ContainsAny(level, "+#"):
			return ErrBadWildcard
		}
	}
	return nil
}

// IsWildcard reports whether a valid filter has a wildcard level.
func IsWildcard(f string) bool { return strings.ContainsAny(f, "+#") }

func validCommon(t string) error {
	switch {
	case len(t) == 0:
		return ErrEmpty
	case len(t) > MaxLen:
		return ErrTooLong
	case strings.IndexByte(t, 0) >= 0:
		return ErrNUL
	case !utf8.ValidString(t):
		return ErrNotUTF8
	}
	return nil
}

// Matches reports whether topic matches filter; both are assumed valid. It is the plain
// level-by-level definition, for one-off checks (ACL rules); Tree matches many at once.
func Matches(filter, topic string) bool {
	for {
		fl, frest, fmore := strings.Cut(filter, "/")
		if fl == "#" {
			return true
		}
		tl, trest, tmore := strings.Cut(topic, "/")
		if fl != "+" && fl != tl {
			return false
		}
		switch {
		case !fmore && !tmore:
			return true
		case !tmore:
			return frest == "#" // "a/#" matches "a"
		case !fmore:
			return false
		}
		filter, topic = frest, trest
	}
}

// Covers reports whether every topic matching filter f also matches filter p (both valid):
// the subscription f is within what p allows.
func Covers(p, f string) bool {
	for {
		pl, prest, pmore := strings.Cut(p, "/")
		if pl == "#" {
			return true
		}
		fl, frest, fmore := strings.Cut(f, "/")
		switch {
		case fl == "#":
			return false // f reaches levels p does not (p's "#" was handled above)
		case pl == "+":
		case pl != fl:
			return false // a literal in p covers only the same literal, never "+"
		}
		switch {
		case !pmore && !fmore:
			return true
		case !fmore:
			// f ends here: it matches topics ending here; p must too, which it does only
			// when it continues with "#" ("a/#" matches "a").
			return prest == "#"
		case !pmore:
			return false
		}
		p, f = prest, frest
	}
}
