package cluster

import (
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

func TestEscapeToken(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "room-1_A~", "room-1_A~"},
		{"empty", "", "%"},
		{"dot", "a.b", "a%2Eb"},
		{"nats wildcards", "*", "%2A"},
		{"nats full wildcard", ">", "%3E"},
		{"mqtt wildcards", "a+#", "a%2B%23"},
		{"percent", "%", "%25"},
		{"dollar", "$retain", "%24retain"},
		{"space and tab", "a b\tc", "a%20b%09c"},
		{"control", "\x01\x7f", "%01%7F"},
		{"utf8", "é", "%C3%A9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EscapeToken(tt.in)
			if got != tt.want {
				t.Fatalf("EscapeToken(%q) = %q, want %q", tt.in, got, tt.want)
			}
			back, err := UnescapeToken(got)
			if err != nil || back != tt.in {
				t.Fatalf("UnescapeToken(%q) = %q, %v", got, back, err)
			}
		})
	}
}

func TestUnescapeTokenRejects(t *testing.T) {
	for _, tok := range []string{"", "a.b", "*", ">", "a b", "%2e", "%41", "%4", "%", "%%", "%G0", "$x", "é"} {
		if tok == "%" {
			continue // the empty level
		}
		if got, err := UnescapeToken(tok); err == nil {
			t.Errorf("UnescapeToken(%q) = %q, want an error", tok, got)
		}
	}
}

func TestFilterSubjects(t *testing.T) {
	tests := []struct {
		name, filter string
		want         []string
	}{
		{"literal", "a/b", []string{"p.app.a.b"}},
		{"plus", "a/+/c", []string{"p.app.a.*.c"}},
		{"hash", "a/#", []string{"p.app.a", "p.app.a.>"}},
		{"hash alone", "#", []string{"p.app.>"}},
		{"plus hash", "+/#", []string{"p.app.*", "p.app.*.>"}},
		{"empty levels", "/a//", []string{"p.app.%.a.%.%"}},
		{"wildcard chars inside a level", "a+/b#", []string{"p.app.a%2B.b%23"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FilterSubjects("p", "app", tt.filter)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("FilterSubjects(%q) = %q, want %q", tt.filter, got, tt.want)
			}
			for _, s := range got {
				if !server.IsValidSubject(s) {
					t.Errorf("%q is not a valid NATS subject", s)
				}
			}
		})
	}
}

func TestTopicSubjectRoundTrip(t *testing.T) {
	for _, topic := range []string{"a", "a/b/c", "/", "a//b", "$SYS/x", "x.y/*/>", "with space/ünï"} {
		s := TopicSubject("wsgate", "app.1", topic)
		if !server.IsValidLiteralSubject(s) {
			t.Fatalf("%q → %q: not a valid literal subject", topic, s)
		}
		rest := strings.TrimPrefix(s, "wsgate.app%2E1.")
		back, err := SubjectTopic(rest)
		if err != nil || back != topic {
			t.Fatalf("%q → %q → %q, %v", topic, s, back, err)
		}
	}
}

// mqttMatch is the reference: an MQTT filter (levels, '+' one level, a final '#' any
// remaining levels including none) against a topic.
func mqttMatch(filter, topic string) bool {
	f, tp := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, lvl := range f {
		if lvl == "#" && i == len(f)-1 {
			return true
		}
		if i >= len(tp) {
			return false
		}
		if lvl != "+" && lvl != tp[i] {
			return false
		}
	}
	return len(f) == len(tp)
}

// validFilter is an MQTT filter: wildcards only as whole levels, '#' only last.
func validFilter(f string) bool {
	lv := strings.Split(f, "/")
	for i, l := range lv {
		if strings.ContainsAny(l, "+#") && l != "+" && l != "#" || l == "#" && i != len(lv)-1 {
			return false
		}
	}
	return true
}

func natsMatch(filter, topic string) bool {
	s := TopicSubject("p", "app", topic)
	for _, f := range FilterSubjects("p", "app", filter) {
		if server.SubjectMatchesFilter(s, f) {
			return true
		}
	}
	return false
}

func TestFilterMatchesLikeMQTT(t *testing.T) {
	tests := []struct {
		filter, topic string
		want          bool
	}{
		{"a/#", "a", true},
		{"a/#", "a/b/c", true},
		{"a/#", "ab", false},
		{"a/+", "a/b", true},
		{"a/+", "a", false},
		{"a/+", "a/", true},
		{"+", "a", true},
		{"+", "a/b", false},
		{"#", "a/b", true},
		{"a/b", "a/b", true},
		{"a/b", "a.b", false},
		{"a.b", "a/b", false},
		{"*", "a", false},
		{"a/>", "a/b", false},
	}
	for _, tt := range tests {
		if got := natsMatch(tt.filter, tt.topic); got != tt.want || mqttMatch(tt.filter, tt.topic) != tt.want {
			t.Errorf("%q ~ %q: nats %v, mqtt %v, want %v", tt.filter, tt.topic, got, mqttMatch(tt.filter, tt.topic), tt.want)
		}
	}
}
