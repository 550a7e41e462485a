package auth

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	fixture(t)
	ha := fixtures.hashes[0]
	ta := fixtures.hashes[3]
	// Secrets and hashes that appear in malformed lines below: no error may
	// contain them, nor any other line content.
	const leaked = "s3cr3t-in-a-line"
	tests := []struct {
		name    string
		method  Method
		content string
		users   []string
		realm   string
		err     error // nil: Load succeeds
		line    int   // for a *LineError
		names   int   // entries on success
		unknown []string
	}{
		{name: "basic fixture", method: Basic, content: fixtures.basicFile, names: 3},
		{name: "token fixture", method: Token, content: fixtures.tokenFile, names: 2},
		{name: "comments blank lines CRLF and spaces", method: Token, content: "# a\r\n\r\n   \t\n\t alice:" + ta + " \t\r\n  # b:c\n", names: 1},
		{name: "no final newline", method: Basic, content: "alice:" + ha, names: 1},
		{name: "upper-case hex", method: Token, content: "alice:" + strings.ToUpper(ta), names: 1},
		{name: "utf-8 name", method: Token, content: "zoë:" + ta, names: 1},
		{name: "name of 255 bytes", method: Token, content: strings.Repeat("n", 255) + ":" + ta, names: 1},
		{name: "users narrow", method: Basic, content: fixtures.basicFile, users: []string{"alice"}, names: 3},
		{name: "users not in file", method: Basic, content: fixtures.basicFile, users: []string{"zed", "alice", "eve"}, names: 3, unknown: []string{"zed", "eve"}},
		{name: "realm with spaces and utf-8", method: Token, content: fixtures.tokenFile, realm: "my app ä", names: 2},

		{name: "no colon", method: Basic, content: "# x\nalice" + leaked + "\n", err: ErrMalformedLine, line: 2},
		{name: "empty name", method: Basic, content: "\n\n:" + ha, err: ErrBadName, line: 3},
		{name: "name with space", method: Basic, content: "al ice:" + ha, err: ErrBadName, line: 1},
		{name: "name with control character", method: Token, content: "al\x01ice:" + ta, err: ErrBadName, line: 1},
		{name: "name of 256 bytes", method: Token, content: strings.Repeat("n", 256) + ":" + ta, err: ErrBadName, line: 1},
		{name: "duplicate name", method: Basic, content: fixtures.basicFile + "alice:" + ha, err: ErrDuplicateName, line: 6},
		{name: "basic plain password", method: Basic, content: "alice:" + leaked, err: ErrBadHash, line: 1},
		{name: "basic apr1 md5", method: Basic, content: "alice:$apr1$" + leaked + "$abcdefghijklmnopqrstuv", err: ErrBadHash, line: 1},
		{name: "basic sha1", method: Basic, content: "alice:{SHA}" + leaked, err: ErrBadHash, line: 1},
		{name: "basic $2x$", method: Basic, content: "alice:$2x$" + ha[4:], err: ErrBadHash, line: 1},
		{name: "basic $2$", method: Basic, content: "alice:$2$" + ha[4:] + "x", err: ErrBadHash, line: 1},
		{name: "basic truncated", method: Basic, content: "alice:" + ha[:59], err: ErrBadHash, line: 1},
		{name: "basic too long", method: Basic, content: "alice:" + ha + "x", err: ErrBadHash, line: 1},
		{name: "basic cost out of range", method: Basic, content: "alice:$2y$32$" + ha[7:], err: ErrBadHash, line: 1},
		{name: "basic cost not digits", method: Basic, content: "alice:$2y$1x$" + ha[7:], err: ErrBadHash, line: 1},
		{name: "basic bad salt character", method: Basic, content: "alice:" + ha[:10] + "!" + ha[11:], err: ErrBadHash, line: 1},
		{name: "basic space after colon", method: Basic, content: "alice: " + ha[:59], err: ErrBadHash, line: 1},
		{name: "basic token hash", method: Basic, content: "alice:" + ta, err: ErrBadHash, line: 1},
		{name: "token raw token", method: Token, content: "alice:" + leaked, err: ErrBadHash, line: 1},
		{name: "token 63 digits", method: Token, content: "alice:" + ta[:63], err: ErrBadHash, line: 1},
		{name: "token not hex", method: Token, content: "alice:" + ta[:63] + "g", err: ErrBadHash, line: 1},
		{name: "token bcrypt hash", method: Token, content: "alice:" + ha, err: ErrBadHash, line: 1},
		{name: "token duplicate", method: Token, content: "alice:" + ta + "\nbob:" + strings.ToUpper(ta), err: ErrDuplicateToken, line: 2},
		{name: "empty file", method: Basic, content: "", err: ErrNoEntries},
		{name: "only comments", method: Token, content: "# alice:" + ta + "\n\n", err: ErrNoEntries},
		{name: "bad realm quote", method: Token, content: fixtures.tokenFile, realm: `a"b`, err: ErrBadRealm},
		{name: "bad realm backslash", method: Token, content: fixtures.tokenFile, realm: `a\b`, err: ErrBadRealm},
		{name: "bad realm newline", method: Basic, content: fixtures.basicFile, realm: "a\r\nSet-Cookie: x", err: ErrBadRealm},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "creds.txt", tc.content)
			realm := tc.realm
			if realm == "" {
				realm = "app"
			}
			a, err := Load(tc.method, path, tc.users, realm)
			if tc.err == nil {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if len(a.names) != tc.names || a.Method() != tc.method {
					t.Fatalf("%d names, method %v; want %d, %v", len(a.names), a.Method(), tc.names, tc.method)
				}
				if got := strings.Join(a.UnknownUsers(), ","); got != strings.Join(tc.unknown, ",") {
					t.Fatalf("UnknownUsers = %q, want %q", got, tc.unknown)
				}
				for name, e := range a.names {
					want := len(tc.users) == 0 || strings.Contains(","+strings.Join(tc.users, ",")+",", ","+name+",")
					if e.permitted != want {
						t.Fatalf("%s permitted = %v, want %v", name, e.permitted, want)
					}
				}
				return
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "auth: ") {
				t.Errorf("error %q lacks the package prefix", msg)
			}
			var le *LineError
			if errors.As(err, &le) != (tc.line > 0) {
				t.Fatalf("error %q: *LineError %v, want line %d", msg, le, tc.line)
			}
			if tc.line > 0 {
				if le.Line != tc.line || le.File != path || !strings.Contains(msg, path+":"+strconv.Itoa(tc.line)+": ") {
					t.Fatalf("error %q names line %d of %q, want line %d of %q", msg, le.Line, le.File, tc.line, path)
				}
			}
			if tc.err == ErrNoEntries && !strings.Contains(msg, path) {
				t.Errorf("error %q does not name the file", msg)
			}
			// No line content at all: secrets, hashes, names.
			extra := []string{leaked, "alice", "zoë", strings.Repeat("n", 256)}
			for _, line := range strings.Split(tc.content, "\n") {
				if _, hash, ok := strings.Cut(line, ":"); ok && len(strings.TrimSpace(hash)) > 3 {
					extra = append(extra, strings.TrimSpace(hash))
				}
			}
			assertNoSecret(t, "error", msg, extra...)
		})
	}
}

func TestLoadArguments(t *testing.T) {
	fixture(t)
	path := writeFile(t, "creds.txt", fixtures.tokenFile)
	tests := []struct {
		name   string
		method Method
		file   string
		users  []string
		err    error
	}{
		{name: "none", method: None},
		{name: "none with file", method: None, file: path, err: ErrUnexpectedCredentials},
		{name: "none with users", method: None, users: []string{"alice"}, err: ErrUnexpectedCredentials},
		{name: "basic without file", method: Basic, err: ErrNoCredentialsFile},
		{name: "token without file", method: Token, users: []string{"alice"}, err: ErrNoCredentialsFile},
		{name: "unknown method", method: Method(7), file: path, err: ErrUnknownMethod},
		{name: "missing file", method: Token, file: path + ".missing", err: fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Load(tc.method, tc.file, tc.users, "app")
			switch {
			case !errors.Is(err, tc.err):
				t.Fatalf("err = %v, want %v", err, tc.err)
			case err == nil && a.Method() != tc.method:
				t.Fatalf("method %v, want %v", a.Method(), tc.method)
			case errors.Is(err, fs.ErrNotExist) && !strings.Contains(err.Error(), tc.file):
				t.Fatalf("error %q does not name the file", err)
			}
		})
	}
}
