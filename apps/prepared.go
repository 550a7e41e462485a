package apps

import (
	"sync"

	"github.com/wsgate/wsgate/internal/bufpool"
	"github.com/wsgate/wsgate/internal/wsproto"
)

// PreparedMessage is a message encoded once and sent to many connections: the frame is
// built on the first use and, for connections with permessage-deflate and no server context
// takeover, compressed at most once too. The engine's connections queue a reference to the
// encoded frame, not a copy (one frame in memory however many receivers wait for it), and
// the frame lives until the last of them has sent it; so a PreparedMessage may still be
// reused (Reset) once a fan-out loop is done: Reset lets go of the old frame and builds a
// new one. A PreparedMessage is safe for concurrent WritePrepared calls, but Reset must not
// race them.
type PreparedMessage struct {
	typ  MessageType
	data []byte

	frame    *bufpool.Shared
	once     sync.Once
	deflated *bufpool.Shared
}

// NewPreparedMessage copies data into a new prepared message.
func NewPreparedMessage(t MessageType, data []byte) *PreparedMessage {
	m := &PreparedMessage{}
	m.Reset(t, data)
	return m
}

// Reset makes m carry a new message, reusing its buffers.
func (m *PreparedMessage) Reset(t MessageType, data []byte) {
	m.release()
	m.typ = t
	m.data = append(m.data[:0], data...)
	m.frame = bufpool.NewShared(wsproto.FrameSize(len(data)))
	m.frame.B = wsproto.AppendFrame(m.frame.B, wsproto.OpCode(t), false, m.data)
	m.once = sync.Once{}
}

// Release lets go of the encoded frames; queues that hold them keep them until sent. The
// message is empty afterwards (Reset fills it again). Optional: an unreleased message's
// frames are collected with it.
func (m *PreparedMessage) Release() {
	m.release()
	m.data = m.data[:0]
}

func (m *PreparedMessage) release() {
	if m.frame != nil {
		m.frame.Release()
		m.frame = nil
	}
	if m.deflated != nil {
		m.deflated.Release()
		m.deflated = nil
	}
}

// Type is the message type.
func (m *PreparedMessage) Type() MessageType { return m.typ }

// Data is the message payload; it must not be modified.
func (m *PreparedMessage) Data() []byte { return m.data }

// Frame is the encoded uncompressed frame; it must not be modified.
func (m *PreparedMessage) Frame() []byte {
	if m.frame == nil {
		return nil
	}
	return m.frame.B
}

// SharedFrame is the encoded uncompressed frame as a reference-counted buffer; it is for
// the engine, whose output queues Enqueue it instead of copying it. Nil after Release.
func (m *PreparedMessage) SharedFrame() *bufpool.Shared { return m.frame }

// DeflatedFrame returns the compressed frame, built by encode on the first call (encode
// appends the frame for the payload to dst). It is for the engine, which passes a stateless
// compressor: the result is shared by every receiver without server context takeover.
func (m *PreparedMessage) DeflatedFrame(encode func(dst []byte, t MessageType, payload []byte) []byte) []byte {
	return m.SharedDeflatedFrame(encode).B
}

// SharedDeflatedFrame is DeflatedFrame as a reference-counted buffer (see SharedFrame).
func (m *PreparedMessage) SharedDeflatedFrame(encode func(dst []byte, t MessageType, payload []byte) []byte) *bufpool.Shared {
	m.once.Do(func() {
		m.deflated = bufpool.NewShared(wsproto.FrameSize(len(m.data)) + 64)
		m.deflated.B = encode(m.deflated.B, m.typ, m.data)
	})
	return m.deflated
}
