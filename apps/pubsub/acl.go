package pubsub

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/wsgate/wsgate/internal/topic"
)

// ACL holds per-user topic rules. A file of rules has one per line:
//
//	# user  sub|pub  pattern
//	alice   sub      sensors/#
//	alice   pub      sensors/alice/+
//	*       sub      public/#
//	*       pub      users/%u/#
//
// user is a user name as the application's authentication reports it, or * for every
// user (the anonymous one included). pattern is a filter; %u in it stands for the
// connecting user's name (a user whose name contains '/', '+' or '#' matches no %u rule).
// A subscription is allowed when a sub rule's pattern covers every topic its filter can
// match; a publish when a pub rule's pattern matches its topic. With an ACL, whatever no
// rule allows is refused; without one (nil), everything is.
type ACL struct {
	rules []aclRule
}

type aclRule struct {
	user    string // "*" for anyone
	pub     bool
	pattern string
	perUser bool // pattern contains %u
}

// ErrACL is returned (wrapped, with file and line) for a rule that cannot be parsed.
var ErrACL = errors.New("pubsub: invalid ACL rule")

// LoadACL reads an ACL file.
func LoadACL(path string) (*ACL, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pubsub: acl: %w", err)
	}
	defer f.Close()
	acl, err := ParseACL(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return acl, nil
}

// ParseACL reads rules, one per line; blank lines and lines starting with # are skipped.
func ParseACL(r io.Reader) (*ACL, error) {
	acl := &ACL{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		f := strings.Fields(text)
		if len(f) != 3 {
			return nil, fmt.Errorf("%w: line %d: want \"user sub|pub pattern\", got %q", ErrACL, line, text)
		}
		rule := aclRule{user: f[0], pattern: f[2], perUser: strings.Contains(f[2], "%u")}
		switch f[1] {
		case "sub":
		case "pub":
			rule.pub = true
		default:
			return nil, fmt.Errorf("%w: line %d: %q is neither sub nor pub", ErrACL, line, f[1])
		}
		if err := topic.ValidFilter(strings.ReplaceAll(rule.pattern, "%u", "u")); err != nil {
			return nil, fmt.Errorf("%w: line %d: pattern %q: %v", ErrACL, line, rule.pattern, err)
		}
		acl.rules = append(acl.rules, rule)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("pubsub: acl: %w", err)
	}
	return acl, nil
}

// CanSubscribe reports whether user may subscribe to filter (a valid filter).
func (a *ACL) CanSubscribe(user, filter string) bool {
	return a.allows(user, false, func(p string) bool { return topic.Covers(p, filter) })
}

// CanPublish reports whether user may publish to t (a valid topic).
func (a *ACL) CanPublish(user, t string) bool {
	return a.allows(user, true, func(p string) bool { return topic.Matches(p, t) })
}

func (a *ACL) allows(user string, pub bool, match func(pattern string) bool) bool {
	if a == nil {
		return true
	}
	for _, r := range a.rules {
		if r.pub != pub || (r.user != "*" && r.user != user) {
			continue
		}
		p := r.pattern
		if r.perUser {
			if user == "" || strings.ContainsAny(user, "/+#") {
				continue
			}
			p = strings.ReplaceAll(p, "%u", user)
			if topic.ValidFilter(p) != nil {
				continue
			}
		}
		if match(p) {
			return true
		}
	}
	return false
}
