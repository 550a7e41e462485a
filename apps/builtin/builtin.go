package builtin

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/wsgate/wsgate/apps"
)

// New returns a new instance of the built-in application of the given kind.
func New(kind string) (apps.Application, error) {
	f, ok := builtins[kind]
	if !ok {
		return nil, fmt.Errorf("builtin: unknown application kind %q (have %v)", kind, Kinds())
	}
	return f(), nil
}

// Kinds lists the kinds New knows, sorted.
func Kinds() []string {
	kinds := make([]string, 0, len(builtins))
	for k := range builtins {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

var builtins = map[string]func() apps.Application{
	"echo":      func() apps.Application { return Echo{} },
	"broadcast": func() apps.Application { return NewBroadcast() },
}

// Echo sends every message back to its sender, with the same type.
type Echo struct{ apps.Base }

// OnMessage writes data back; WriteMessage copies it, so nothing is kept.
func (Echo) OnMessage(c apps.Conn, t apps.MessageType, data []byte) { _ = c.WriteMessage(t, data) }

// Broadcast sends every message a client sends to all other clients of the application. The
// frame is encoded once per message, not once per receiver.
type Broadcast struct {
	apps.Base
	mu      sync.RWMutex
	members []apps.Conn // index kept in each member's slot
	index   map[apps.Conn]int
	pool    sync.Pool // *apps.PreparedMessage
	bridge  atomic.Pointer[bridgeBox]
}

// BroadcastBridge carries a broadcast application's messages to and from other gateways
// (the cluster implements it, see docs/cluster.md). Its methods are called on event loops
// and must not block.
type BroadcastBridge interface {
	// Forward hands over a message a local member sent; data is valid only until Forward
	// returns.
	Forward(app string, t apps.MessageType, data []byte)
	// Interest reports the first member joining (on=true) and the last one leaving.
	Interest(app string, on bool)
}

type bridgeBox struct {
	name string
	b    BroadcastBridge
}

// SetBridge connects the application, under the name app, to other gateways (nil
// disconnects). When it has members at that moment, b is told with Interest(app, true).
func (b *Broadcast) SetBridge(app string, br BroadcastBridge) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if br == nil {
		b.bridge.Store(nil)
		return
	}
	b.bridge.Store(&bridgeBox{name: app, b: br})
	if len(b.members) > 0 {
		br.Interest(app, true)
	}
}

// DeliverRemote writes a message that came from another gateway to every member (it is not
// forwarded again) and returns how many it was written to. Safe from any goroutine.
func (b *Broadcast) DeliverRemote(t apps.MessageType, data []byte) int {
	m, _ := b.pool.Get().(*apps.PreparedMessage)
	if m == nil {
		m = &apps.PreparedMessage{}
	}
	m.Reset(t, data)
	n := 0
	b.mu.RLock()
	for _, c := range b.members {
		if c.WritePrepared(m) == nil {
			n++
		}
	}
	b.mu.RUnlock()
	b.pool.Put(m)
	return n
}

// NewBroadcast returns an empty broadcast application.
func NewBroadcast() *Broadcast {
	return &Broadcast{index: map[apps.Conn]int{}}
}

// OnOpen adds c to the members.
func (b *Broadcast) OnOpen(c apps.Conn) {
	b.mu.Lock()
	b.index[c] = len(b.members)
	b.members = append(b.members, c)
	if len(b.members) == 1 {
		if bb := b.bridge.Load(); bb != nil {
			bb.b.Interest(bb.name, true)
		}
	}
	b.mu.Unlock()
}

// OnClose removes c from the members.
func (b *Broadcast) OnClose(c apps.Conn, _ apps.CloseCode, _ string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	i, ok := b.index[c]
	if !ok {
		return
	}
	last := len(b.members) - 1
	if i != last {
		b.members[i] = b.members[last]
		b.index[b.members[i]] = i
	}
	b.members[last] = nil
	b.members = b.members[:last]
	delete(b.index, c)
	if last == 0 {
		if bb := b.bridge.Load(); bb != nil {
			bb.b.Interest(bb.name, false)
		}
	}
}

// OnMessage prepares the message once and writes it to every other member, then hands it to
// the bridge, if any.
func (b *Broadcast) OnMessage(from apps.Conn, t apps.MessageType, data []byte) {
	m, _ := b.pool.Get().(*apps.PreparedMessage)
	if m == nil {
		m = &apps.PreparedMessage{}
	}
	m.Reset(t, data)
	b.mu.RLock()
	for _, c := range b.members {
		if c != from {
			_ = c.WritePrepared(m) // a closed member is removed by its OnClose
		}
	}
	b.mu.RUnlock()
	b.pool.Put(m)
	if bb := b.bridge.Load(); bb != nil {
		bb.b.Forward(bb.name, t, data)
	}
}

// Members is the number of connected clients.
func (b *Broadcast) Members() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.members)
}
