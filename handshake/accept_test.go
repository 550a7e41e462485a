package handshake

import (
	"strings"
	"testing"
)

func TestAppendAccept(t *testing.T) {
	tests := []struct {
		name, key, want string
	}{
		// RFC 6455 §1.3.
		{name: "rfc 6455 sample", key: "dGhlIHNhbXBsZSBub25jZQ==", want: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="},
		// Values computed independently: base64(hashlib.sha1(key + GUID)) in Python.
		{name: "browser key", key: "x3JJHMbDL1EzLkh9GBhXDw==", want: "HSmrc0sMlYUkAGmm5OPpG2HaGWk="},
		{name: "empty key", key: "", want: "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w="},
		{name: "long key uses the slow path", key: strings.Repeat("k", 100), want: "rWzVOVhJgr+k5nChyKqRW0+OIwk="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := AppendAccept([]byte("x"), []byte(tc.key))
			if string(got) != "x"+tc.want {
				t.Fatalf("got %q, want %q", got, "x"+tc.want)
			}
			if len(got)-1 != AcceptLen {
				t.Fatalf("len = %d, want AcceptLen %d", len(got)-1, AcceptLen)
			}
		})
	}
}

var switchingCases = []struct {
	name                string
	protocol, extension string
	want                string
}{
	{name: "plain", want: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"},
	{name: "protocol", protocol: "chat", want: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n"},
	{name: "extensions", extension: "permessage-deflate; server_no_context_takeover",
		want: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n"},
	{name: "both", protocol: "chat", extension: "permessage-deflate",
		want: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"},
}

func TestAppendSwitching(t *testing.T) {
	key := []byte("dGhlIHNhbXBsZSBub25jZQ==")
	for _, tc := range switchingCases {
		t.Run(tc.name, func(t *testing.T) {
			var proto, ext []byte
			if tc.protocol != "" {
				proto = []byte(tc.protocol)
			}
			if tc.extension != "" {
				ext = []byte(tc.extension)
			}
			got := AppendSwitching([]byte("prefix"), key, proto, ext)
			if string(got) != "prefix"+tc.want {
				t.Fatalf("got %q\nwant %q", got, "prefix"+tc.want)
			}
			// An empty, non-nil protocol is not echoed either.
			if tc.protocol == "" {
				if got := AppendSwitching(nil, key, []byte{}, ext); string(got) != tc.want {
					t.Fatalf("empty protocol: got %q", got)
				}
			}
		})
	}
}

func BenchmarkAppendSwitching(b *testing.B) {
	key := []byte("dGhlIHNhbXBsZSBub25jZQ==")
	for _, tc := range switchingCases {
		b.Run(tc.name, func(b *testing.B) {
			proto, ext := []byte(tc.protocol), []byte(tc.extension)
			dst := make([]byte, 0, 512)
			b.ReportAllocs()
			for b.Loop() {
				dst = AppendSwitching(dst[:0], key, proto, ext)
			}
		})
	}
}
