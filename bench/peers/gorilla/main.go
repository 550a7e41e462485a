// Command gorilla is the gorilla/websocket peer of the wsgate benchmark: a
// net/http server with a goroutine per connection, written the way the
// library's own examples are (ReadMessage/WriteMessage for echo; a hub with a
// buffered channel and writer goroutine per client, fed PreparedMessages, for
// broadcast).
package main

import (
	"flag"
	"log"
	"net/http"
	"sync"

	"github.com/gorilla/websocket"
)

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func main() {
	addr := flag.String("addr", "127.0.0.1:18100", "listen address (loopback)")
	flag.Parse()
	h := &hub{clients: make(map[*client]struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", echo)
	mux.HandleFunc("/broadcast", h.serve)
	log.Fatal(http.ListenAndServe(*addr, mux))
}

func echo(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	for {
		mt, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		if err := c.WriteMessage(mt, msg); err != nil {
			return
		}
	}
}

type client struct {
	conn *websocket.Conn
	send chan *websocket.PreparedMessage
}

type hub struct {
	mu      sync.RWMutex
	clients map[*client]struct{}
}

func (h *hub) serve(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &client{conn: conn, send: make(chan *websocket.PreparedMessage, 1024)}
	h.mu.Lock()
	h.clients[c] = struct{}{}
	h.mu.Unlock()
	go c.writer()
	defer func() {
		h.mu.Lock()
		delete(h.clients, c)
		h.mu.Unlock()
		close(c.send)
	}()
	for {
		mt, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		pm, err := websocket.NewPreparedMessage(mt, msg)
		if err != nil {
			return
		}
		h.mu.RLock()
		for o := range h.clients {
			if o == c {
				continue
			}
			select {
			case o.send <- pm:
			default: // a client this far behind is dropped, as in gorilla's chat example
				o.conn.Close()
			}
		}
		h.mu.RUnlock()
	}
}

func (c *client) writer() {
	defer c.conn.Close()
	for pm := range c.send {
		if err := c.conn.WritePreparedMessage(pm); err != nil {
			return
		}
	}
}
