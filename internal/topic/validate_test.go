package topic

import (
	"errors"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	long := strings.Repeat("a", MaxLen)
	tests := []struct {
		name      string
		in        string
		topicErr  error
		filterErr error
	}{
		{"plain", "a/b/c", nil, nil},
		{"one level", "a", nil, nil},
		{"empty levels", "/a//b/", nil, nil},
		{"only a slash", "/", nil, nil},
		{"unicode", "température/℃", nil, nil},
		{"256 bytes", long, nil, nil},
		{"257 bytes", long + "a", ErrTooLong, ErrTooLong},
		{"empty", "", ErrEmpty, ErrEmpty},
		{"NUL", "a\x00b", ErrNUL, ErrNUL},
		{"not UTF-8", "a/\xff", ErrNotUTF8, ErrNotUTF8},
		{"plus level", "a/+/c", ErrWildcard, nil},
		{"plus alone", "+", ErrWildcard, nil},
		{"hash last", "a/#", ErrWildcard, nil},
		{"hash alone", "#", ErrWildcard, nil},
		{"plus and hash", "+/+/#", ErrWildcard, nil},
		{"hash not last", "a/#/b", ErrWildcard, ErrBadWildcard},
		{"plus inside a level", "a/b+/c", ErrWildcard, ErrBadWildcard},
		{"hash inside a level", "a/b#", ErrWildcard, ErrBadWildcard},
		{"double hash", "##", ErrWildcard, ErrBadWildcard},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ValidTopic(tt.in); !errors.Is(err, tt.topicErr) {
				t.Errorf("ValidTopic(%q) = %v, want %v", tt.in, err, tt.topicErr)
			}
			if err := ValidFilter(tt.in); !errors.Is(err, tt.filterErr) {
				t.Errorf("ValidFilter(%q) = %v, want %v", tt.in, err, tt.filterErr)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		filter, topic string
		want          bool
	}{
		{"a/b", "a/b", true},
		{"a/b", "a/c", false},
		{"a/b", "a/b/c", false},
		{"a/b/c", "a/b", false},
		{"a/+", "a/b", true},
		{"a/+", "a/", true},
		{"a/+", "a", false},
		{"a/+", "a/b/c", false},
		{"+/+", "/b", true},
		{"a/#", "a", true},
		{"a/#", "a/b/c", true},
		{"a/#", "ab", false},
		{"#", "a/b", true},
		{"#", "/", true},
		{"+/#", "a", true},
		{"a/+/#", "a", false},
		{"a/+/#", "a/b", true},
		{"/a", "a", false},
		{"a//b", "a//b", true},
	}
	for _, tt := range tests {
		if got := Matches(tt.filter, tt.topic); got != tt.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", tt.filter, tt.topic, got, tt.want)
		}
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		p, f string
		want bool
	}{
		{"a/b", "a/b", true},
		{"a/+", "a/b", true},
		{"a/+", "a/+", true},
		{"a/b", "a/+", false},
		{"a/#", "a/+/c", true},
		{"a/#", "a", true},
		{"a/#", "a/#", true},
		{"a/+", "a/#", false},
		{"#", "#", true},
		{"#", "x/+/#", true},
		{"+", "#", false},
		{"a/+/#", "a", false},
		{"a/+/#", "a/b", true},
		{"users/bob/#", "users/bobby/x", false},
	}
	for _, tt := range tests {
		if got := Covers(tt.p, tt.f); got != tt.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", tt.p, tt.f, got, tt.want)
		}
	}
}
