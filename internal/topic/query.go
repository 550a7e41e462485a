package topic

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
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

// ReadPublish reads a publish API request, POST …/publish?topic=T[&retain=1], for both
// publish routes (pubsub.PublishHandler and the admin listener's): the first topic and the
// retain flag of its query (ParseQuery) and its body, at most limit bytes. An error comes
// with the status to answer: 400 for ErrQuery, ErrRetainValue, ErrNoTopic or a body that
// could not be read, 413 for a body over limit (ErrBodyTooLarge, its text naming the limit).
// The topic is not validated.
func ReadPublish(w http.ResponseWriter, r *http.Request, limit int64) (topic string, retain bool, body []byte, status int, err error) {
	topics, retain, err := ParseQuery(r.URL.RawQuery)
	if err == nil && (len(topics) == 0 || topics[0] == "") {
		err = ErrNoTopic
	}
	if err != nil {
		return "", false, nil, http.StatusBadRequest, err
	}
	body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", false, nil, http.StatusRequestEntityTooLarge, bodyLimitError(limit)
		}
		return "", false, nil, http.StatusBadRequest, fmt.Errorf("topic: reading the body: %w", err)
	}
	return topics[0], retain, body, http.StatusOK, nil
}

// bodyLimitError is ErrBodyTooLarge naming the limit.
type bodyLimitError int64

func (e bodyLimitError) Error() string {
	return "topic: body larger than " + strconv.FormatInt(int64(e), 10) + " bytes"
}

func (bodyLimitError) Is(target error) bool { return target == ErrBodyTooLarge }
