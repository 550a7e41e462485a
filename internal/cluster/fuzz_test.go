package cluster

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nats-io/nats-server/v2/server"
)

// FuzzEscape: every string survives EscapeToken/UnescapeToken, the token is one valid NATS
// token that is not a wildcard and does not start with '$', and every token UnescapeToken
// accepts is canonical (escapes back to itself).
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "a", ".", "*", ">", "%", "%25", "+", "#", "$", " ", "\x00", "é", "a.b*c>d", "%2e", "%%", "%G1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok := EscapeToken(s)
		back, err := UnescapeToken(tok)
		if err != nil || back != s {
			t.Fatalf("%q → %q → %q, %v", s, tok, back, err)
		}
		if tok == "" || tok == "*" || tok == ">" || tok[0] == '$' || strings.ContainsAny(tok, ". \t\r\n") {
			t.Fatalf("%q → bad token %q", s, tok)
		}
		for i := 0; i < len(tok); i++ {
			if tok[i] < 0x21 || tok[i] > 0x7e {
				t.Fatalf("%q → %q holds byte %#x", s, tok, tok[i])
			}
		}
		if !server.IsValidLiteralSubject("p." + tok) {
			t.Fatalf("%q → %q: not a valid literal subject", s, tok)
		}
		if u, err := UnescapeToken(s); err == nil && EscapeToken(u) != s {
			t.Fatalf("UnescapeToken(%q) = %q, which escapes to %q", s, u, EscapeToken(u))
		}
	})
}

// FuzzFilter: a topic's subject matches a filter's subjects (as the NATS server matches
// them) exactly when the MQTT filter matches the topic; topics round-trip through subjects.
func FuzzFilter(f *testing.F) {
	for _, c := range [][2]string{{"a/#", "a"}, {"a/+/c", "a/b/c"}, {"#", "x"}, {"+/+", "a/"}, {"a//b", "a//b"}, {"a.b/*", "a.b/*"}} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, filter, topic string) {
		if topic == "" || len(topic) > 256 || strings.ContainsAny(topic, "+#\x00") || !utf8.ValidString(topic) ||
			filter == "" || len(filter) > 256 || !validFilter(filter) {
			return
		}
		subj := TopicSubject("p", "app", topic)
		back, err := SubjectTopic(strings.TrimPrefix(subj, "p.app."))
		if err != nil || back != topic {
			t.Fatalf("topic %q → %q → %q, %v", topic, subj, back, err)
		}
		for _, s := range FilterSubjects("p", "app", filter) {
			if !server.IsValidSubject(s) {
				t.Fatalf("filter %q → invalid subject %q", filter, s)
			}
		}
		if got, want := natsMatch(filter, topic), mqttMatch(filter, topic); got != want {
			t.Fatalf("filter %q, topic %q: nats %v, mqtt %v (subjects %q, %q)", filter, topic, got, want,
				FilterSubjects("p", "app", filter), subj)
		}
	})
}
