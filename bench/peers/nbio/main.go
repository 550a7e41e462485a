// Command nbio is the lesismal/nbio peer of the wsgate benchmark: nbhttp in its
// non-blocking mode (IOModNonBlocking: every connection served by the
// poller goroutines, messages handed to nbio's default executor), echo with
// WriteMessage, broadcast by writing the message to every other client.
package main

import (
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18100", "listen address (loopback)")
	flag.Parse()

	echo := websocket.NewUpgrader()
	echo.CheckOrigin = func(*http.Request) bool { return true }
	echo.OnMessage(func(c *websocket.Conn, mt websocket.MessageType, data []byte) {
		_ = c.WriteMessage(mt, data)
	})

	var mu sync.RWMutex
	clients := make(map[*websocket.Conn]struct{})
	bcast := websocket.NewUpgrader()
	bcast.CheckOrigin = func(*http.Request) bool { return true }
	bcast.OnOpen(func(c *websocket.Conn) { mu.Lock(); clients[c] = struct{}{}; mu.Unlock() })
	bcast.OnClose(func(c *websocket.Conn, _ error) { mu.Lock(); delete(clients, c); mu.Unlock() })
	bcast.OnMessage(func(c *websocket.Conn, mt websocket.MessageType, data []byte) {
		mu.RLock()
		defer mu.RUnlock()
		for o := range clients {
			if o != c {
				_ = o.WriteMessage(mt, data)
			}
		}
	})

	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) { _, _ = echo.Upgrade(w, r, nil) })
	mux.HandleFunc("/broadcast", func(w http.ResponseWriter, r *http.Request) { _, _ = bcast.Upgrade(w, r, nil) })

	engine := nbhttp.NewEngine(nbhttp.Config{
		Network: "tcp",
		Addrs:   []string{*addr},
		IOMod:   nbhttp.IOModNonBlocking,
		MaxLoad: 1000000,
		Handler: mux,
	})
	if err := engine.Start(); err != nil {
		log.Fatal(err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	engine.Stop()
}
