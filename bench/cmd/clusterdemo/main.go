// Command clusterdemo runs a NATS server and two wsgate gateways on loopback, bridged over
// NATS, from one command (make cluster-demo). Open http://127.0.0.1:8081/ and
// http://127.0.0.1:8082/ in a browser: what one page sends, the other shows. A small client
// on gateway B also says hello every few seconds, and a client on gateway A prints what it
// receives, so the terminal shows the crossing too. Tooling, not product: it lives in the
// bench module and runs with go run from there.
package main

import (
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats-server/v2/server"
)

//go:embed index.html
var page []byte

func main() {
	if err := run(); err != nil {
		log.SetFlags(0)
		log.Fatal("clusterdemo: ", err)
	}
}

func run() error {
	gateway := flag.String("gateway", "../bin/wsgate", "the wsgate binary")
	natsPort := flag.Int("nats-port", 14222, "the NATS server's port on 127.0.0.1")
	portA := flag.Int("a", 8081, "gateway A's HTTP port")
	portB := flag.Int("b", 8082, "gateway B's HTTP port")
	say := flag.Duration("say", 3*time.Second, "how often the client on gateway B says hello (0: never)")
	duration := flag.Duration("duration", 0, "stop after this long (0: at Ctrl-C)")
	flag.Parse()

	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: *natsPort, NoSigs: true, NoLog: true})
	if err != nil {
		return err
	}
	go ns.Start()
	if !ns.ReadyForConnections(5 * time.Second) {
		return errors.New("the NATS server did not start")
	}
	defer ns.Shutdown()
	natsURL := "nats://127.0.0.1:" + strconv.Itoa(*natsPort)
	fmt.Println("NATS server on", natsURL)

	dir, err := os.MkdirTemp("", "wsgate-cluster-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	root := filepath.Join(dir, "www")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, "index.html"), page, 0o644); err != nil {
		return err
	}

	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			_ = p.Process.Signal(syscall.SIGTERM)
		}
		for _, p := range procs {
			_ = p.Wait()
		}
	}()
	for _, gw := range []struct {
		name string
		port int
	}{{"A", *portA}, {"B", *portB}} {
		cfg := filepath.Join(dir, "gateway-"+gw.name+".toml")
		if err := os.WriteFile(cfg, []byte(config(gw.name, gw.port, root, natsURL)), 0o644); err != nil {
			return err
		}
		cmd := exec.Command(*gateway, "-config", cfg)
		cmd.Stdout = prefixed("gateway "+gw.name+" | ", os.Stdout)
		cmd.Stderr = prefixed("gateway "+gw.name+" | ", os.Stderr)
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("starting %s (make build first?): %w", *gateway, err)
		}
		procs = append(procs, cmd)
		if err := waitListening("127.0.0.1:"+strconv.Itoa(gw.port), 10*time.Second); err != nil {
			return fmt.Errorf("gateway %s: %w", gw.name, err)
		}
	}
	fmt.Printf("\nOpen http://127.0.0.1:%d/ (gateway A) and http://127.0.0.1:%d/ (gateway B).\n", *portA, *portB)
	fmt.Println("Type in one; it appears in the other. Ctrl-C stops everything.")

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); listen(*portA, done) }()
	go func() { defer wg.Done(); talk(*portB, *say, done) }()
	if *duration > 0 {
		go func() { time.Sleep(*duration); stop <- os.Interrupt }()
	}
	<-stop
	close(done)
	wg.Wait()
	return nil
}

// config is one gateway's file: the demo page, a broadcast application on /chat, and the
// cluster.
func config(name string, port int, root, natsURL string) string {
	return fmt.Sprintf(`[http]
listen = "127.0.0.1:%d"
root = %q

[cluster]
nats = %q
name = "gateway-%s"

[[app]]
name = "chat"
kind = "broadcast"
path = "/chat"
`, port, root, natsURL, name)
}

// listen is a client on gateway A that prints what it receives.
func listen(port int, done chan struct{}) {
	c, _, err := websocket.DefaultDialer.Dial("ws://127.0.0.1:"+strconv.Itoa(port)+"/chat", nil)
	if err != nil {
		log.Print("client on gateway A: ", err)
		return
	}
	go func() { <-done; c.Close() }()
	for {
		_, m, err := c.ReadMessage()
		if err != nil {
			return
		}
		fmt.Printf("client on gateway A received: %s\n", m)
	}
}

// talk is a client on gateway B that says hello every interval.
func talk(port int, every time.Duration, done chan struct{}) {
	if every <= 0 {
		return
	}
	c, _, err := websocket.DefaultDialer.Dial("ws://127.0.0.1:"+strconv.Itoa(port)+"/chat", nil)
	if err != nil {
		log.Print("client on gateway B: ", err)
		return
	}
	defer c.Close()
	go func() { // drain what the browsers send, so the connection stays readable
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}()
	t := time.NewTicker(every)
	defer t.Stop()
	for i := 1; ; i++ {
		select {
		case <-done:
			return
		case <-t.C:
			msg := "hello #" + strconv.Itoa(i) + " from a client on gateway B"
			if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
				return
			}
		}
	}
}

func waitListening(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// prefixed writes each line of output with a prefix.
func prefixed(prefix string, w io.Writer) io.Writer {
	r, pw := io.Pipe()
	go func() {
		buf := make([]byte, 0, 4096)
		tmp := make([]byte, 4096)
		for {
			n, err := r.Read(tmp)
			buf = append(buf, tmp[:n]...)
			for {
				i := strings.IndexByte(string(buf), '\n')
				if i < 0 {
					break
				}
				fmt.Fprintf(w, "%s%s\n", prefix, buf[:i])
				buf = buf[i+1:]
			}
			if err != nil {
				return
			}
		}
	}()
	return pw
}
