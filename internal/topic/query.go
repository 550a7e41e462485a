package topic

import (
	"net/url"
	"slices"
	"strings"
)

// ParseQuery reads the parameters of a URL query that topics use: every topic parameter
// (repeatable; a repeated topic counts once) and the first retain parameter (1, 0, true or
// false; absent = false). It is the one reader behind the WebSocket URL's ?topic= and the
// publish API's ?topic=T&retain=1. It takes '+' literally, not as a form-encoded space: in
// a topic it is the MQTT wildcard, written by hand as "?topic=sensors/+/temp" and sent so
// by browsers (a space is %20). A malformed percent-escape is ErrQuery, a bad retain value
// ErrRetainValue; other parameters are ignored. The topics are not validated.
func ParseQuery(q string) (topics []string, retain bool, err error) {
	seenRetain := false
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k, err = url.PathUnescape(k); err != nil {
			return nil, false, ErrQuery
		}
		if k != "topic" && (k != "retain" || seenRetain) {
			continue
		}
		if v, err = url.PathUnescape(v); err != nil {
			return nil, false, ErrQuery
		}
		if k == "topic" {
			if !slices.Contains(topics, v) {
				topics = append(topics, v)
			}
			continue
		}
		seenRetain = true
		switch v {
		case "", "0", "false":
		case "1", "true":
			retain = true
		default:
			return nil, false, ErrRetainValue
		}
	}
	return topics, retain, nil
}
