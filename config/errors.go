package config

import (
	"errors"
	"strconv"
)

// Errors of the config package. Parse and Validate return *FieldError values (joined with
// errors.Join when there are several) that wrap one of these; test with errors.Is.
var (
	// ErrDecode: the input is not valid TOML, or a value has the wrong TOML type or format
	// (a string where a number belongs, a malformed size or duration).
	ErrDecode = errors.New("config: cannot decode")
	// ErrUnknownKey: the input has a key the schema does not know, such as a misspelling.
	ErrUnknownKey = errors.New("config: unknown key")
	// ErrInvalid: a value is well-formed but not allowed (Validate).
	ErrInvalid = errors.New("config: invalid value")
	// ErrSize: Size.UnmarshalText was given a string that is not a size.
	ErrSize = errors.New("config: invalid size")
)

// FieldError reports one bad key or value.
type FieldError struct {
	// Field is the TOML path of the key: "websocket.max_message_size", "app[1].scope" (indexes
	// count from 0 in the order of the file). Decode errors inside an array of tables carry
	// no index ("app.scope"): the TOML decoder does not report it; Line locates them instead.
	Field string
	// Line is the 1-based line of the input, when known (decode errors); 0 otherwise.
	Line int
	// Msg says what is wrong, without the field.
	Msg string
	// Err is ErrDecode, ErrUnknownKey or ErrInvalid.
	Err error
}

// Error returns "config: FIELD: MSG", with " (line N)" after the field when the line is known.
func (e *FieldError) Error() string {
	s := "config: "
	if e.Field != "" {
		s += e.Field
		if e.Line > 0 {
			s += " (line " + strconv.Itoa(e.Line) + ")"
		}
		s += ": "
	} else if e.Line > 0 {
		s += "line " + strconv.Itoa(e.Line) + ": "
	}
	return s + e.Msg
}

// Unwrap returns the sentinel error that classifies e.
func (e *FieldError) Unwrap() error { return e.Err }
