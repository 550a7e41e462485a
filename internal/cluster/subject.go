package cluster

import (
	"strings"
)

// Subjects (see doc.go for the whole layout):
//
//	<prefix>.<app>.<level>.<level>…     a message published to a topic
//	<prefix>.$retain.<app>.<level>…     a retained publish (every gateway of the app listens)
//	<prefix>.$snapshot.<app>            a request for the retained values of an app
//	<prefix>.$reply.<node>.<app>        the answers to that request
//
// Application names and topic levels are escaped into NATS tokens by escapeToken, so no
// escaped token ever starts with '$' and the control subjects cannot collide with a topic.

const hexUpper = "0123456789ABCDEF"

// tokenSafe reports whether byte c stands for itself in an escaped token. Everything else is
// written %XX (upper-case hex): the separator '.', the NATS wildcards '*' and '>', the escape
// '%' itself, the MQTT wildcards '+' and '#' (so a subject never carries a character that
// means something to an MQTT bridge), '$' (reserved for the control subjects above), space,
// control characters, DEL and every byte of a non-ASCII UTF-8 sequence.
var tokenSafe = func() (t [256]bool) {
	for c := 0x21; c <= 0x7e; c++ {
		t[c] = true
	}
	for _, c := range ".*>%+#$" {
		t[c] = false
	}
	return t
}()

// emptyToken stands for an empty topic level ("a//b"): a lone '%', which no escape produces.
const emptyToken = "%"

// appendToken appends the escaped form of one topic level or application name to dst.
func appendToken(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, emptyToken...)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if tokenSafe[c] {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hexUpper[c>>4], hexUpper[c&15])
	}
	return dst
}

// EscapeToken returns the NATS token that carries s (a topic level or an application name).
func EscapeToken(s string) string { return string(appendToken(nil, s)) }

// UnescapeToken reverses EscapeToken. It accepts only the canonical form EscapeToken
// produces (upper-case hex, nothing escaped that need not be, nothing raw that must be), so
// UnescapeToken(t) succeeding implies EscapeToken(result) == t.
func UnescapeToken(t string) (string, error) {
	if t == emptyToken {
		return "", nil
	}
	if t == "" {
		return "", ErrBadSubject
	}
	n := 0
	for i := 0; i < len(t); i++ {
		if t[i] == '%' {
			n++
		}
	}
	if n == 0 {
		for i := 0; i < len(t); i++ {
			if !tokenSafe[t[i]] {
				return "", ErrBadSubject
			}
		}
		return t, nil
	}
	b := make([]byte, 0, max(len(t)-2*n, 1))
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c != '%' {
			if !tokenSafe[c] {
				return "", ErrBadSubject
			}
			b = append(b, c)
			continue
		}
		if i+2 >= len(t) {
			return "", ErrBadSubject
		}
		hi, lo := unhex(t[i+1]), unhex(t[i+2])
		if hi < 0 || lo < 0 {
			return "", ErrBadSubject
		}
		v := byte(hi<<4 | lo)
		if tokenSafe[v] {
			return "", ErrBadSubject // not canonical: v stands for itself
		}
		b = append(b, v)
		i += 2
	}
	return string(b), nil
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// appendTopic appends the escaped levels of topic (levels separated by '/') to dst, each
// preceded by '.'.
func appendTopic(dst []byte, topic string) []byte {
	for {
		i := strings.IndexByte(topic, '/')
		if i < 0 {
			return appendToken(append(dst, '.'), topic)
		}
		dst = appendToken(append(dst, '.'), topic[:i])
		topic = topic[i+1:]
	}
}

// TopicSubject returns the subject a message to topic of app is published on.
func TopicSubject(prefix, app, topic string) string {
	b := appendToken(append([]byte(prefix), '.'), app)
	return string(appendTopic(b, topic))
}

// SubjectTopic reverses the topic part of a subject: the tokens after the prefix and the
// application, joined with '/'.
func SubjectTopic(tokens string) (string, error) {
	if tokens == "" {
		return "", ErrBadSubject
	}
	var b strings.Builder
	b.Grow(len(tokens))
	for {
		i := strings.IndexByte(tokens, '.')
		tok := tokens
		if i >= 0 {
			tok = tokens[:i]
		}
		lvl, err := UnescapeToken(tok)
		if err != nil {
			return "", err
		}
		b.WriteString(lvl)
		if i < 0 {
			return b.String(), nil
		}
		b.WriteByte('/')
		tokens = tokens[i+1:]
	}
}

// FilterSubjects returns the NATS subjects whose union matches exactly the topics the MQTT
// filter matches: '+' becomes '*', a final '#' becomes '>', and since MQTT's "a/#" also
// matches "a" itself, a filter ending in "/#" gives two subjects ("….a" and "….a.>"). A
// filter of "#" alone is "<prefix>.<app>.>" (every topic has at least one level). The filter
// is assumed valid (wildcards only as whole levels, '#' only last); a '+' or '#' inside a
// level is escaped like any other byte.
func FilterSubjects(prefix, app, filter string) []string {
	b := appendToken(append([]byte(prefix), '.'), app)
	if filter == "#" {
		return []string{string(b) + ".>"}
	}
	parentOfHash := -1
	for {
		i := strings.IndexByte(filter, '/')
		lvl := filter
		if i >= 0 {
			lvl = filter[:i]
		}
		switch {
		case lvl == "+":
			b = append(b, ".*"...)
		case lvl == "#" && i < 0:
			parentOfHash = len(b)
			b = append(b, ".>"...)
		default:
			b = appendToken(append(b, '.'), lvl)
		}
		if i < 0 {
			break
		}
		filter = filter[i+1:]
	}
	if parentOfHash >= 0 {
		return []string{string(b[:parentOfHash]), string(b)}
	}
	return []string{string(b)}
}
