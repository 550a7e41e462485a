package prepared

import (
	"sync"

	"github.com/wsgate/wsgate/internal/bufpool"
	"github.com/wsgate/wsgate/internal/wsproto"
)

// Message is an encoded data message. Its frames are reference-counted buffers
// (bufpool.Shared): the engine's output queues hold references to them instead of copies,
// so one frame serves every receiver, and a frame outlives a Reset until the last queue
// has sent it.
type Message struct {
	op   wsproto.OpCode
	data []byte

	frame    *bufpool.Shared
	once     sync.Once
	deflated *bufpool.Shared
}

// Of returns the Message inside an *apps.PreparedMessage; package apps sets it when it is
// initialised. It exists so the encoded form stays out of apps' exported API.
var Of func(m any) *Message

// Reset makes m carry a new message; it must not race a use of m. The frames of the old
// message are let go (queues holding them keep them), and new ones built.
func (m *Message) Reset(op wsproto.OpCode, data []byte) {
	m.release()
	m.op = op
	m.data = append(m.data[:0], data...)
	m.frame = bufpool.NewShared(wsproto.FrameSize(len(data)))
	m.frame.B = wsproto.AppendFrame(m.frame.B, op, false, m.data)
	m.once = sync.Once{}
}

func (m *Message) release() {
	if m.frame != nil {
		m.frame.Release()
		m.frame = nil
	}
	if m.deflated != nil {
		m.deflated.Release()
		m.deflated = nil
	}
}

// Op is the message's opcode.
func (m *Message) Op() wsproto.OpCode { return m.op }

// Data is the payload; it must not be modified.
func (m *Message) Data() []byte { return m.data }

// Frame is the encoded uncompressed frame; it must not be modified.
func (m *Message) Frame() []byte {
	if m.frame == nil {
		return nil
	}
	return m.frame.B
}

// SharedFrame is the encoded uncompressed frame as a reference-counted buffer, for output
// queues to Enqueue instead of copying it.
func (m *Message) SharedFrame() *bufpool.Shared { return m.frame }

// DeflatedFrame returns the compressed frame, built by encode on the first call (encode
// appends the frame for the payload to dst). The engine passes a stateless compressor: the
// result is shared by every receiver without server context takeover.
func (m *Message) DeflatedFrame(encode func(dst []byte, op wsproto.OpCode, payload []byte) []byte) []byte {
	return m.SharedDeflatedFrame(encode).B
}

// SharedDeflatedFrame is DeflatedFrame as a reference-counted buffer (see SharedFrame).
func (m *Message) SharedDeflatedFrame(encode func(dst []byte, op wsproto.OpCode, payload []byte) []byte) *bufpool.Shared {
	m.once.Do(func() {
		m.deflated = bufpool.NewShared(wsproto.FrameSize(len(m.data)) + 64)
		m.deflated.B = encode(m.deflated.B, m.op, m.data)
	})
	return m.deflated
}
