package apps

import (
	"errors"
	"net"

	"github.com/wsgate/wsgate/handshake"
)

// MessageType is the type of a data message (RFC 6455 §5.6).
type MessageType uint8

// The data message types; the values are the frame opcodes.
const (
	Text   MessageType = 1
	Binary MessageType = 2
)

func (t MessageType) String() string {
	switch t {
	case Text:
		return "text"
	case Binary:
		return "binary"
	}
	return "invalid"
}

// CloseCode is a WebSocket close status code (RFC 6455 §7.4).
type CloseCode uint16

// The close codes the gateway uses (RFC 6455 §7.4.1; docs/protocol.md says when).
const (
	CloseNormal        CloseCode = 1000
	CloseGoingAway     CloseCode = 1001
	CloseProtocolError CloseCode = 1002
	CloseUnsupported   CloseCode = 1003
	CloseNoStatus      CloseCode = 1005 // received close frame had no code; never sent
	CloseAbnormal      CloseCode = 1006 // connection lost without a close frame; never sent
	CloseInvalidData   CloseCode = 1007
	ClosePolicy        CloseCode = 1008
	CloseTooBig        CloseCode = 1009
	CloseInternal      CloseCode = 1011
	CloseTryAgain      CloseCode = 1013
)

// Errors of the application API.
var (
	// ErrDeclined, returned (or wrapped) by OnHandshake, declines the connection: 503. Use
	// Refuse for another status.
	ErrDeclined = errors.New("apps: connection declined")
	// ErrClosed is returned by writes on a connection that is closing or closed, including
	// one being closed with 1008 because its output backlog passed max_pending_bytes.
	ErrClosed = errors.New("apps: connection closed")
)

// Conn is an application's view of one WebSocket connection. The engine implements it.
//
// WriteMessage, WritePrepared and Close are safe to call from any goroutine, in or out of
// callbacks; calls made from one goroutine reach the client in the order they were made.
// The other methods return values fixed at the upgrade and are safe too; Value and SetValue
// are atomic.
type Conn interface {
	// ID is unique among the connections of this process.
	ID() uint64
	// App is the name of the application that owns the connection.
	App() string
	// Listener is the name of the server the connection arrived on ("http" for the HTTP service).
	Listener() string
	// RemoteAddr is the client's address.
	RemoteAddr() net.Addr
	// User is the authenticated user name, "" without authentication.
	User() string
	// Path is the request path (the application's path: it is matched exactly).
	Path() string
	// Query is the raw query of the upgrade request, without '?'; "" for none.
	Query() string
	// Subprotocol is the negotiated subprotocol, or the application's default when the client
	// offered none it supports (then no Sec-WebSocket-Protocol was answered).
	Subprotocol() string
	// WriteMessage sends one message. p is copied before it returns, so the caller may reuse it.
	// It returns ErrClosed once the connection is closing.
	WriteMessage(t MessageType, p []byte) error
	// WritePrepared sends a message encoded once for many receivers (see PreparedMessage).
	WritePrepared(m *PreparedMessage) error
	// Close starts the close handshake with code and reason (cut to 123 bytes).
	Close(code CloseCode, reason string) error
	// Value and SetValue hold one application-defined value, set first by Handshake.SetValue.
	// They are atomic: safe from the callbacks and from the application's own goroutines.
	Value() any
	SetValue(v any)
}

// Handshake describes an upgrade request that passed every check of the gateway, as the
// application sees it in OnHandshake. Its byte slices are borrowed from the loop's buffer and
// valid only until OnHandshake returns.
type Handshake struct {
	Listener   string
	RemoteAddr net.Addr
	Path       []byte
	Query      []byte // raw query, without '?'
	Origin     []byte // empty when the client sent none
	User       string // authenticated user name, "" without authentication
	// Offered lists the subprotocols the client offered, in its order of preference.
	Offered [][]byte
	// Subprotocol is the one the gateway picked among Offered from the application's list
	// (the default if offered, else the client's first supported one); "" for none. The
	// application may change it to another entry of Offered, or to "".
	Subprotocol string
	// Head is the raw request head, request line to blank line (borrowed, like the rest).
	Head []byte

	value any
}

// SetValue attaches a value to the connection being opened: Conn.Value returns it from
// OnOpen on. Copy what it holds from the borrowed fields.
func (h *Handshake) SetValue(v any) { h.value = v }

// Value returns what SetValue attached, or nil.
func (h *Handshake) Value() any { return h.value }

// Header returns the value of the first request header named name (case-insensitive), or
// nil. The result is borrowed from Head.
func (h *Handshake) Header(name string) []byte { return handshake.HeaderValue(h.Head, name) }

// Application is what an application author implements. Embed Base to implement only the
// callbacks you need. Every method runs on the connection's event loop and must not block.
type Application interface {
	// OnHandshake runs before the 101 answer. Return nil to accept, the error of Refuse to
	// answer with a status of your choice, ErrDeclined (or an error wrapping it) to decline
	// with 503, any other error to fail with 500.
	OnHandshake(h *Handshake) error
	// OnOpen runs once the socket is connected and before any OnMessage.
	OnOpen(c Conn)
	// OnMessage runs for every complete message; data is valid only until it returns.
	// Text messages have been checked to be valid UTF-8.
	OnMessage(c Conn, t MessageType, data []byte)
	// OnClose runs once when the connection ends: code is what the client sent, what the
	// server sent if it closed first, or CloseAbnormal when the TCP connection was lost.
	OnClose(c Conn, code CloseCode, reason string)
}

// Base implements Application with callbacks that do nothing and accept every handshake.
type Base struct{}

func (Base) OnHandshake(*Handshake) error        { return nil }
func (Base) OnOpen(Conn)                         {}
func (Base) OnMessage(Conn, MessageType, []byte) {}
func (Base) OnClose(Conn, CloseCode, string)     {}

// Funcs adapts plain functions to Application; nil fields act as in Base.
type Funcs struct {
	Handshake func(h *Handshake) error
	Open      func(c Conn)
	Message   func(c Conn, t MessageType, data []byte)
	Close     func(c Conn, code CloseCode, reason string)
}

func (f Funcs) OnHandshake(h *Handshake) error {
	if f.Handshake == nil {
		return nil
	}
	return f.Handshake(h)
}

func (f Funcs) OnOpen(c Conn) {
	if f.Open != nil {
		f.Open(c)
	}
}

func (f Funcs) OnMessage(c Conn, t MessageType, data []byte) {
	if f.Message != nil {
		f.Message(c, t, data)
	}
}

func (f Funcs) OnClose(c Conn, code CloseCode, reason string) {
	if f.Close != nil {
		f.Close(c, code, reason)
	}
}
