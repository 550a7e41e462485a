package apps

import (
	"github.com/wsgate/wsgate/internal/prepared"
	"github.com/wsgate/wsgate/internal/wsproto"
)

// PreparedMessage is a message encoded once and sent to many connections: the frame is
// built once and, for connections with permessage-deflate and no server context takeover,
// compressed at most once too. Conn.WritePrepared copies the encoded bytes before it
// returns, so a PreparedMessage may be reused (Reset) once a fan-out loop is done. A
// PreparedMessage is safe for concurrent WritePrepared calls, but Reset must not race them.
type PreparedMessage struct {
	typ MessageType
	m   prepared.Message
}

func init() {
	prepared.Of = func(m any) *prepared.Message { return &m.(*PreparedMessage).m }
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
	m.m.Reset(wsproto.OpCode(t), data)
}

// Type is the message type.
func (m *PreparedMessage) Type() MessageType { return m.typ }

// Data is the message payload; it must not be modified.
func (m *PreparedMessage) Data() []byte { return m.m.Data() }
