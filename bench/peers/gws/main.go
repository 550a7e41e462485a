// Command gws is the lxzan/gws peer of the wsgate benchmark: a net/http
// server whose handlers upgrade with gws.Upgrader and run the socket's
// ReadLoop, echo with WriteMessage, and broadcast through gws.Broadcaster
// (one encoded frame written to every other client's write queue).
package main

import (
	"flag"
	"log"
	"net/http"

	"github.com/lxzan/gws"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18100", "listen address (loopback)")
	flag.Parse()
	echo := gws.NewUpgrader(echoHandler{}, &gws.ServerOption{})
	b := &broadcast{sessions: gws.NewConcurrentMap[*gws.Conn, struct{}](16, 128)}
	bcast := gws.NewUpgrader(b, &gws.ServerOption{})
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		if s, err := echo.Upgrade(w, r); err == nil {
			s.ReadLoop()
		}
	})
	mux.HandleFunc("/broadcast", func(w http.ResponseWriter, r *http.Request) {
		if s, err := bcast.Upgrade(w, r); err == nil {
			s.ReadLoop()
		}
	})
	log.Fatal(http.ListenAndServe(*addr, mux))
}

type echoHandler struct{ gws.BuiltinEventHandler }

func (echoHandler) OnMessage(s *gws.Conn, m *gws.Message) {
	defer m.Close()
	_ = s.WriteMessage(m.Opcode, m.Bytes())
}

type broadcast struct {
	gws.BuiltinEventHandler
	sessions *gws.ConcurrentMap[*gws.Conn, struct{}]
}

func (b *broadcast) OnOpen(s *gws.Conn) { b.sessions.Store(s, struct{}{}) }

func (b *broadcast) OnClose(s *gws.Conn, _ error) { b.sessions.Delete(s) }

func (b *broadcast) OnMessage(s *gws.Conn, m *gws.Message) {
	defer m.Close()
	br := gws.NewBroadcaster(m.Opcode, m.Bytes())
	defer br.Close()
	b.sessions.Range(func(o *gws.Conn, _ struct{}) bool {
		if o != s {
			_ = br.Broadcast(o)
		}
		return true
	})
}
