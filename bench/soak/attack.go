package soak

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/wsgate/wsgate/internal/auth"
	"github.com/wsgate/wsgate/internal/wstest"
)

// The attackers run beside the well-behaved load, each from its own loopback address so that
// the gateway's per-source rules can tell them from the bystanders (127.0.0.1). What they
// do is what an adversarial review measured (issue 16); the gateway must hold its bounds
// (the RSS, heap and latency the run reports) while the bystanders are served.
const (
	bigFileSize  = 5 << 20
	staticStalls = 20   // clients asking for the big file and not reading, per round
	headFlood    = 2000 // pipelined HEAD and conditional GET requests of the big file, per round
	fanoutStalls = 50   // non-reading subscribers of the fan-out application
	sourceFlood  = 300  // idle connections from one address, per round
	authFlood    = 40   // wrong-password upgrades at once, per round
	attackRound  = 3 * time.Second
)

// Source addresses of the attackers.
const (
	srcStatic = "127.0.0.5"
	srcHeads  = "127.0.0.6"
	srcFanout = "127.0.0.7"
	srcIdle   = "127.0.0.3"
	srcAuth   = "127.0.0.4"
)

// dialFrom connects to addr from the loopback address src; rcvBuf > 0 shrinks the receive
// buffer first, so that a client that does not read backs the gateway up at once.
func dialFrom(ctx context.Context, src, addr string, rcvBuf int) (net.Conn, error) {
	d := wstest.NetDialer(wstest.Options{Timeout: 5 * time.Second, RcvBuf: rcvBuf})
	d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	return d.DialContext(ctx, "tcp", addr)
}

// attackers starts one of each attacker; they stop when ctx ends.
func (l *load) attackers(ctx context.Context, wg *sync.WaitGroup) {
	for _, f := range []func(context.Context){l.staticStaller, l.headPipeliner, l.fanoutHog, l.sourceFlooder, l.authFlooder} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(ctx)
		}()
	}
}

// staticStaller asks for the big file from staticStalls clients that never read, holds them
// for a round, and starts again.
func (l *load) staticStaller(ctx context.Context) {
	req := "GET /big.bin HTTP/1.1\r\nHost: soak\r\n\r\n"
	for !over(ctx) {
		var conns []net.Conn
		for range staticStalls {
			nc, err := dialFrom(ctx, srcStatic, l.addrs[0], 4096)
			if err != nil {
				if !over(ctx) {
					l.t.fail("attack: static stall: dial", err)
				}
				break
			}
			io.WriteString(nc, req)
			conns = append(conns, nc)
		}
		pause(ctx, attackRound)
		for _, nc := range conns {
			nc.Close()
		}
		l.t.event(fmt.Sprintf("attack: %d clients stalled on a %d MiB file", len(conns), bigFileSize>>20))
	}
}

// headPipeliner pipelines headFlood HEAD and conditional GET requests of the big file on one
// connection and reads every answer.
func (l *load) headPipeliner(ctx context.Context) {
	for !over(ctx) {
		err := func() error {
			nc, err := dialFrom(ctx, srcHeads, l.addrs[0], 0)
			if err != nil {
				return err
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(30 * time.Second))
			var b strings.Builder
			for range headFlood / 2 {
				b.WriteString("HEAD /big.bin HTTP/1.1\r\nHost: soak\r\n\r\n")
				b.WriteString("GET /big.bin HTTP/1.1\r\nHost: soak\r\nIf-None-Match: *\r\n\r\n")
			}
			go io.WriteString(nc, b.String())
			br := bufio.NewReader(nc)
			for i := range headFlood {
				resp, err := http.ReadResponse(br, &http.Request{Method: "HEAD"})
				if err != nil {
					return err
				}
				if want := []int{200, 304}[i%2]; resp.StatusCode != want {
					return fmt.Errorf("%w: status %d, want %d", ErrUnexpected, resp.StatusCode, want)
				}
			}
			return nil
		}()
		switch {
		case over(ctx):
			return
		case err != nil:
			l.t.fail("attack: pipelined HEADs", err)
			pause(ctx, time.Second)
		default:
			l.t.event(fmt.Sprintf("attack: %d pipelined HEAD/304 answered", headFlood))
		}
	}
}

// fanoutHog keeps fanoutStalls subscribers of the fan-out application that never read, and
// publishes messages of nearly max_message_size to them as fast as it can send.
func (l *load) fanoutHog(ctx context.Context) {
	payload := make([]byte, maxMessageSize-64)
	for !over(ctx) {
		var stalled []*wstest.Conn
		for range fanoutStalls {
			nc, err := dialFrom(ctx, srcFanout, l.addrs[1], 4096)
			if err != nil {
				break
			}
			rc, err := wstest.Upgrade(nc, "soak", "/fanout", 5*time.Second)
			if err != nil {
				nc.Close()
				break
			}
			stalled = append(stalled, rc)
		}
		pub, err := wstest.Dial(l.addrs[1], "/fanout", wstest.Options{})
		if err != nil {
			if !over(ctx) {
				l.t.fail("attack: fan-out publisher", err)
			}
			for _, rc := range stalled {
				rc.Close()
			}
			pause(ctx, time.Second)
			continue
		}
		go io.Copy(io.Discard, pub) // the publisher reads what the others publish: nothing
		end := time.Now().Add(attackRound)
		sent := 0
		for !over(ctx) && time.Now().Before(end) {
			pub.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if pub.Send(wstest.OpBinary, payload) != nil {
				break
			}
			sent++
		}
		closed := 0
		for _, rc := range stalled {
			rc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			if code, _, _ := rc.ReadUntilClose(50 * time.Millisecond); code == 1008 {
				closed++
			}
			rc.Close()
		}
		pub.Close()
		l.t.event(fmt.Sprintf("attack: fan-out of %d KiB messages to %d non-readers (rounds)", len(payload)>>10, len(stalled)))
		l.t.attackClosed.Add(int64(closed))
	}
}

// sourceFlooder opens sourceFlood idle connections from one address, holds them a round and
// closes them; the gateway keeps max_handshaking_per_source of them.
func (l *load) sourceFlooder(ctx context.Context) {
	for !over(ctx) {
		var conns []net.Conn
		for range sourceFlood {
			nc, err := dialFrom(ctx, srcIdle, l.addrs[0], 0)
			if err != nil {
				break
			}
			conns = append(conns, nc)
		}
		pause(ctx, attackRound)
		for _, nc := range conns {
			nc.Close()
		}
		l.t.event(fmt.Sprintf("attack: %d idle connections from one address (rounds)", sourceFlood))
	}
}

// authFlooder sends authFlood wrong-password upgrades at once from one address, each round,
// while a bystander with the right password upgrades from another and must be served.
func (l *load) authFlooder(ctx context.Context) {
	wrong := "Authorization: Basic " + basic(soakUser, "wrong")
	right := "Authorization: Basic " + basic(soakUser, soakPassword)
	for !over(ctx) {
		var wg sync.WaitGroup
		for range authFlood {
			wg.Add(1)
			go func() {
				defer wg.Done()
				nc, err := dialFrom(ctx, srcAuth, l.addrs[1], 0)
				if err != nil {
					return
				}
				defer nc.Close()
				nc.SetDeadline(time.Now().Add(10 * time.Second))
				io.WriteString(nc, strings.Replace(upgradeHead, "GET /echo ", "GET /private ", 1)[:len(upgradeHead)+1]+wrong+"\r\n\r\n")
				if resp, err := http.ReadResponse(bufio.NewReader(nc), nil); err == nil {
					l.t.event(fmt.Sprintf("attack: wrong password answered %d", resp.StatusCode))
				}
			}()
		}
		pause(ctx, 200*time.Millisecond)
		rc, err := wstest.Dial(l.addrs[1], "/private", wstest.Options{Header: []string{right}, Timeout: 10 * time.Second})
		switch {
		case over(ctx):
		case err != nil:
			l.t.fail("auth bystander during a flood", err)
		default:
			l.t.served.Add(1)
			rc.Close()
			l.t.event("auth bystander served during a flood")
		}
		wg.Wait()
		pause(ctx, attackRound)
	}
}

// The user of the authenticated application.
const (
	soakUser     = "soak"
	soakPassword = "soak-password"
)

func basic(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// attackFiles writes the static root (with the big file) and the credentials file of the
// authenticated application under dir.
func attackFiles(dir string) (root, creds string, err error) {
	root = filepath.Join(dir, "www")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", "", err
	}
	big := make([]byte, bigFileSize)
	for i := range big {
		big[i] = byte(i * 7)
	}
	if err := os.WriteFile(filepath.Join(root, "big.bin"), big, 0o644); err != nil {
		return "", "", err
	}
	// "/" answers as the default page would: a couple of KiB, so that a client pipelining
	// requests without reading passes the output bound (malformed.go).
	index := "<!doctype html><title>wssoak</title><p>" + strings.Repeat("soak ", 400) + "</p>\n"
	if err := os.WriteFile(filepath.Join(root, "index.html"), []byte(index), 0o644); err != nil {
		return "", "", err
	}
	h, err := auth.HashPassword(soakPassword)
	if err != nil {
		return "", "", err
	}
	creds = filepath.Join(dir, "htpasswd")
	return root, creds, os.WriteFile(creds, []byte(soakUser+":"+h+"\n"), 0o600)
}
