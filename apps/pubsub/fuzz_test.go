package pubsub

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wsgate/wsgate/internal/topic"
)

// FuzzDecode checks the envelope decoder against encoding/json as the oracle: the same
// verdict on validity, and the same type, topic, data, retain and id.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"subscribe","topic":"a/+","id":1}`,
		`{"type":"unsubscribe","topic":"a/#","id":"x"}`,
		`{"type":"publish","topic":"t","data":{"a":[1,{"b":"}"}]},"retain":true,"id":-1.5e3}`,
		`{"type":"publish","topic":"t","data":"esc \" \\ \u00e9 \ud83d\ude00","id":2}`,
		`{"type":"publish","topic":"t\u0000","data":null}`,
		`{"type":"publish","topic":"\udc80"}`,
		`{"type":"publish","topic":"\ud83d\ude00/x"}`,
		` { "type" : "subscribe" , "topic" : "a" } `,
		`{"type":"subscribe","type":"publish","topic":"a","topic":"b"}`,
		`{"type":7}`, `{"type":"x","id":{}}`, `{"retain":"yes"}`, `{"topic":["a"]}`,
		`{"type":"subscribe",`, `[1,2]`, `"x"`, `{}`, ``, `{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
		`{"type":"subscribe","topic":"` + strings.Repeat("a", 300) + `"}`,
		`{"type":"subscribe","topic":"` + strings.Repeat(`\u00e9`, 130) + `"}`,
		`{"ty\u0070e":"subscribe","topic":"a"}`,
		`{"typ\u0065aaaaaaaaaaaaaaaaaaaaaaa":"subscribe","topic":"a"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if !utf8.Valid(p) {
			return // the engine refuses text frames that are not UTF-8 (1007)
		}
		var d decoder
		var r request
		err := d.decode(p, &r)
		if !json.Valid(p) {
			if err != errMalformed {
				t.Fatalf("invalid JSON %q: %v", p, err)
			}
			return
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(p, &obj) != nil {
			if err != errNotObject {
				t.Fatalf("not an object %q: %v", p, err)
			}
			return
		}
		// type
		var typ string
		typErr := json.Unmarshal(obj["type"], &typ)
		wantOp := map[string]op{"subscribe": opSubscribe, "unsubscribe": opUnsubscribe, "publish": opPublish}[typ]
		if raw, ok := obj["type"]; !ok || typErr != nil || wantOp == opNone {
			if err == nil {
				t.Fatalf("type %s accepted: %q", raw, p)
			}
		} else if r.op != wantOp {
			t.Fatalf("op %d, want %d for %q", r.op, wantOp, p)
		}
		// topic
		if raw, ok := obj["topic"]; ok {
			var tp string
			if json.Unmarshal(raw, &tp) == nil {
				switch {
				case r.topicErr == topic.ErrTooLong:
					if len(tp) <= topic.MaxLen && !strings.ContainsRune(tp, utf8.RuneError) {
						t.Fatalf("topic %q (%d bytes) reported too long", tp, len(tp))
					}
				case r.topicErr == topic.ErrNotUTF8:
					if !strings.ContainsRune(tp, utf8.RuneError) {
						t.Fatalf("topic %q reported not UTF-8", tp)
					}
				case r.topicErr != nil:
					t.Fatalf("topic error %v", r.topicErr)
				case string(r.topic) != tp:
					t.Fatalf("topic %q, want %q in %q", r.topic, tp, p)
				}
			}
		} else if r.topic != nil {
			t.Fatalf("topic %q without a topic key in %q", r.topic, p)
		}
		// data
		if raw, ok := obj["data"]; ok {
			if !bytes.Equal(r.data, bytes.TrimSpace(raw)) {
				t.Fatalf("data %q, want %s", r.data, raw)
			}
			if r.data[0] == '"' { // the text a raw receiver would get
				var s string
				json.Unmarshal(r.data, &s)
				if got, _, _ := unquote(r.data, 0, nil, 0, false); string(got) != s {
					t.Fatalf("unquoted %q, want %q", got, s)
				}
			}
		} else if r.data != nil {
			t.Fatalf("data %q without a data key", r.data)
		}
		// retain
		if raw, ok := obj["retain"]; ok {
			switch string(raw) {
			case "true", "false", "null":
				if r.retain != (string(raw) == "true") {
					t.Fatalf("retain %v for %s", r.retain, raw)
				}
			default:
				if err == nil {
					t.Fatalf("retain %s accepted", raw)
				}
			}
		}
		// id
		if raw, ok := obj["id"]; ok && err == nil {
			var v any
			json.Unmarshal(raw, &v)
			switch v.(type) {
			case string, float64:
				if !bytes.Equal(r.id, raw) {
					t.Fatalf("id %q, want %s", r.id, raw)
				}
			case nil:
				if r.id != nil {
					t.Fatalf("id %q for null", r.id)
				}
			default:
				t.Fatalf("id %s accepted", raw)
			}
		}
		// What comes back to the client is valid JSON whatever the input.
		for _, out := range [][]byte{appendAck(nil, r.id), appendError(nil, r.id, "x\"y"),
			appendMessage(nil, string(r.topic), Text, r.topic, false)} {
			if !json.Valid(out) {
				t.Fatalf("invalid answer %q", out)
			}
		}
	})
}
