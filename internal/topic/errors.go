package topic

import "errors"

// Errors of topic and filter validation and of the retained store.
var (
	ErrEmpty       = errors.New("topic: empty topic")
	ErrTooLong     = errors.New("topic: topic longer than 256 bytes")
	ErrNotUTF8     = errors.New("topic: topic is not valid UTF-8")
	ErrNUL         = errors.New("topic: topic contains NUL")
	ErrWildcard    = errors.New("topic: wildcard in a publish topic")
	ErrBadWildcard = errors.New("topic: '+' must be a whole level and '#' the whole last level")
	// ErrRetainedFull is returned by Retained.Set when a new value would pass the store's
	// count or byte bound.
	ErrRetainedFull = errors.New("topic: retained store full")
	// ErrQuery: a URL query with a malformed percent-escape (ParseQuery).
	ErrQuery = errors.New("topic: malformed query")
	// ErrRetainValue: a retain parameter other than 1, 0, true or false (ParseQuery).
	ErrRetainValue = errors.New("topic: retain must be 1, 0, true or false")
	// ErrNoTopic: a publish request without a topic parameter (ReadPublish).
	ErrNoTopic = errors.New("topic: missing topic parameter")
	// ErrBodyTooLarge: a publish request whose body is over the limit (ReadPublish); the
	// error returned names the limit and matches this with errors.Is.
	ErrBodyTooLarge = errors.New("topic: body too large")
)
