package prepared

import (
	"sync"

	"github.com/wsgate/wsgate/internal/wsproto"
)

// Message is an encoded data message.
type Message struct {
	op   wsproto.OpCode
	data []byte

	frame    []byte
	once     sync.Once
	deflated []byte
}

// Of returns the Message inside an *apps.PreparedMessage; package apps sets it when it is
// initialised. It exists so the encoded form stays out of apps' exported API.
var Of func(m any) *Message

// Reset makes m carry a new message, reusing its buffers; it must not race a use of m.
func (m *Message) Reset(op wsproto.OpCode, data []byte) {
	m.op = op
	m.data = append(m.data[:0], data...)
	m.frame = wsproto.AppendFrame(m.frame[:0], op, false, m.data)
	m.once = sync.Once{}
	m.deflated = m.deflated[:0]
}

// Op is the message's opcode.
func (m *Message) Op() wsproto.OpCode { return m.op }

// Data is the payload; it must not be modified.
func (m *Message) Data() []byte { return m.data }

// Frame is the encoded uncompressed frame; it must not be modified.
func (m *Message) Frame() []byte { return m.frame }

// DeflatedFrame returns the compressed frame, built by encode on the first call (encode
// appends the frame for the payload to dst). The engine passes a stateless compressor: the
// result is shared by every receiver without server context takeover.
func (m *Message) DeflatedFrame(encode func(dst []byte, op wsproto.OpCode, payload []byte) []byte) []byte {
	m.once.Do(func() { m.deflated = encode(m.deflated[:0], m.op, m.data) })
	return m.deflated
}
