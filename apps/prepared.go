package apps

import (
	"sync"

	"github.com/wsgate/wsgate/internal/wsproto"
)

// PreparedMessage is a message encoded once and sent to many connections: the frame is
// built on the first use and, for connections with permessage-deflate and no server context
// takeover, compressed at most once too. Conn.WritePrepared copies the encoded bytes before
// it returns, so a PreparedMessage may be reused (Reset) once a fan-out loop is done.
// A PreparedMessage is safe for concurrent WritePrepared calls, but Reset must not race them.
type PreparedMessage struct {
	typ  MessageType
	data []byte

	frame    []byte
	once     sync.Once
	deflated []byte
}

// NewPreparedMessage copies data into a new prepared message.
func NewPreparedMessage(t MessageType, data []byte) *PreparedMessage {
	m := &PreparedMessage{}
	m.Reset(t, data)
	return m
}

// Reset makes m carry a new message, reusing its buffers.
func (m *PreparedMessage) Reset(t MessageType, data []byte) {
	m.typ = t
	m.data = append(m.data[:0], data...)
	m.frame = wsproto.AppendFrame(m.frame[:0], wsproto.OpCode(t), false, m.data)
	m.once = sync.Once{}
	m.deflated = m.deflated[:0]
}

// Type is the message type.
func (m *PreparedMessage) Type() MessageType { return m.typ }

// Data is the message payload; it must not be modified.
func (m *PreparedMessage) Data() []byte { return m.data }

// Frame is the encoded uncompressed frame; it must not be modified.
func (m *PreparedMessage) Frame() []byte { return m.frame }

// DeflatedFrame returns the compressed frame, built by encode on the first call (encode
// appends the frame for the payload to dst). It is for the engine, which passes a stateless
// compressor: the result is shared by every receiver without server context takeover.
func (m *PreparedMessage) DeflatedFrame(encode func(dst []byte, t MessageType, payload []byte) []byte) []byte {
	m.once.Do(func() { m.deflated = encode(m.deflated[:0], m.typ, m.data) })
	return m.deflated
}
