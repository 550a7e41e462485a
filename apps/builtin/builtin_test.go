package builtin

import (
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"

	"github.com/wsgate/wsgate/apps"
)

// recorder is a Conn that records what is written to it.
type recorder struct {
	mu   sync.Mutex
	id   uint64
	msgs []string
	prep int
}

func (r *recorder) ID() uint64                         { return r.id }
func (r *recorder) App() string                        { return "test" }
func (r *recorder) Listener() string                   { return "http" }
func (r *recorder) RemoteAddr() net.Addr               { return nil }
func (r *recorder) Subprotocol() string                { return "" }
func (r *recorder) User() string                       { return "" }
func (r *recorder) Path() string                       { return "/test" }
func (r *recorder) Query() string                      { return "" }
func (r *recorder) Close(apps.CloseCode, string) error { return nil }
func (r *recorder) Value() any                         { return nil }
func (r *recorder) SetValue(any)                       {}
func (r *recorder) WriteMessage(t apps.MessageType, p []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, t.String()+":"+string(p))
	return nil
}
func (r *recorder) WritePrepared(m *apps.PreparedMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prep++
	r.msgs = append(r.msgs, m.Type().String()+":"+string(m.Data()))
	return nil
}

func TestEcho(t *testing.T) {
	var r recorder
	Echo{}.OnMessage(&r, apps.Binary, []byte("x"))
	Echo{}.OnMessage(&r, apps.Text, []byte("y"))
	if len(r.msgs) != 2 || r.msgs[0] != "binary:x" || r.msgs[1] != "text:y" {
		t.Fatalf("%v", r.msgs)
	}
}

func TestBroadcastMembership(t *testing.T) {
	b := NewBroadcast()
	cs := []*recorder{{id: 1}, {id: 2}, {id: 3}}
	for _, c := range cs {
		b.OnOpen(c)
	}
	b.OnMessage(cs[0], apps.Text, []byte("hello"))
	if len(cs[0].msgs) != 0 || len(cs[1].msgs) != 1 || len(cs[2].msgs) != 1 || cs[1].prep != 1 {
		t.Fatalf("after first: %v %v %v", cs[0].msgs, cs[1].msgs, cs[2].msgs)
	}
	b.OnClose(cs[1], apps.CloseNormal, "")
	b.OnClose(cs[1], apps.CloseNormal, "") // twice is harmless
	b.OnMessage(cs[2], apps.Binary, []byte("again"))
	if len(cs[1].msgs) != 1 || len(cs[0].msgs) != 1 || cs[0].msgs[0] != "binary:again" {
		t.Fatalf("after close: %v %v", cs[0].msgs, cs[1].msgs)
	}
	if b.Members() != 2 {
		t.Fatalf("members %d", b.Members())
	}
}

func TestBuiltin(t *testing.T) {
	for _, k := range Kinds() {
		if _, err := New(k); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := New("nope"); err == nil {
		t.Fatal("unknown kind accepted")
	}
}

// BenchmarkBroadcastFanout measures encoding once and handing the frame to 1000 members.
func BenchmarkBroadcastFanout(b *testing.B) {
	bc := NewBroadcast()
	members := make([]*nopConn, 1000)
	for i := range members {
		members[i] = &nopConn{}
		bc.OnOpen(members[i])
	}
	msg := make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		bc.OnMessage(members[0], apps.Text, msg)
	}
}

type nopConn struct{ recorder }

func (*nopConn) WritePrepared(m *apps.PreparedMessage) error { return nil }

// bridgeLog records what a Broadcast hands its bridge.
type bridgeLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *bridgeLog) Forward(app string, t apps.MessageType, data []byte) {
	l.mu.Lock()
	l.calls = append(l.calls, fmt.Sprintf("forward %s %v %s", app, t, data))
	l.mu.Unlock()
}

func (l *bridgeLog) Interest(app string, on bool) {
	l.mu.Lock()
	l.calls = append(l.calls, fmt.Sprintf("interest %s %v", app, on))
	l.mu.Unlock()
}

func TestBroadcastBridge(t *testing.T) {
	b := NewBroadcast()
	one := &recorder{id: 1}
	b.OnOpen(one) // a member before the bridge: SetBridge reports the interest
	var log bridgeLog
	b.SetBridge("room", &log)
	two := &recorder{id: 2}
	b.OnOpen(two) // not the first: nothing
	b.OnMessage(one, apps.Text, []byte("hi"))
	if n := b.DeliverRemote(apps.Binary, []byte("remote")); n != 2 {
		t.Fatalf("DeliverRemote reached %d members, want 2", n)
	}
	b.OnClose(one, apps.CloseNormal, "")
	b.OnClose(two, apps.CloseNormal, "") // the last: interest off
	want := []string{"interest room true", "forward room " + fmt.Sprint(apps.Text) + " hi", "interest room false"}
	if !slices.Equal(log.calls, want) {
		t.Fatalf("bridge calls %q, want %q", log.calls, want)
	}
	if got := two.prep; got != 2 { // "hi" from one, "remote"
		t.Fatalf("member two got %d messages, want 2", got)
	}
	if got := one.prep; got != 1 { // only "remote": a sender does not get its own
		t.Fatalf("member one got %d messages, want 1", got)
	}
}
