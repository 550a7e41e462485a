// Command tlsbench compares wsgate's TLS (internal/tlsconn on a gnet loop)
// with nbio's TLS mode (llib's non-blocking fork of crypto/tls, both on the
// same gnet loop and on nbio's own) and with a crypto/tls server that runs
// a goroutine per connection. It measures full handshakes per second of
// server CPU time and the memory an idle connection costs the server.
//
// Each server runs in its own process with GOMAXPROCS=1 and one event
// loop, so its CPU time (getrusage) and heap are its own; the clients are
// crypto/tls in this process, on 127.0.0.1 only. Run it from this
// directory, it is its own module so the main module does not depend on
// nbio:
//
//	go run . -handshakes 2000 -idle 2000
package main

import (
	"bufio"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	serveName := flag.String("serve", "", "run the named server (child process)")
	addr := flag.String("addr", "127.0.0.1:0", "server address (child process)")
	certFile := flag.String("cert", "", "certificate file (child process)")
	keyFile := flag.String("key", "", "key file (child process)")
	handshakes := flag.Int("handshakes", 2000, "full handshakes timed per server, key and version (RSA: a quarter)")
	idle := flag.Int("idle", 2000, "idle connections held per server, key and version")
	names := flag.String("servers", "wsgate,llib-gnet,nbio,std", "servers to compare")
	keys := flag.String("keys", "ecdsa-p256,rsa-2048", "certificate key types")
	versions := flag.String("versions", "tls13,tls12", "protocol versions")
	flag.Parse()

	if *serveName != "" {
		child(*serveName, *addr, *certFile, *keyFile)
		return
	}
	if err := drive(strings.Split(*names, ","), strings.Split(*keys, ","), strings.Split(*versions, ","), *handshakes, *idle); err != nil {
		fmt.Fprintln(os.Stderr, "tlsbench:", err)
		os.Exit(1)
	}
}

// stats is what a server process reports about itself.
type stats struct {
	CPU   time.Duration // user + system time so far
	Heap  int64         // live heap after two collections
	Stack int64         // goroutine stacks in use
	RSS   int64         // resident set size
}

var stdout sync.Mutex

func say(format string, args ...any) {
	stdout.Lock()
	defer stdout.Unlock()
	fmt.Printf("tlsbench: "+format+"\n", args...)
}

func ready(addr string) { say("ready %s", addr) }

// child serves and answers "stats" lines on stdin until stdin closes.
// With TLSBENCH_CPUPROFILE set it writes a CPU profile there, with
// TLSBENCH_HEAPPROFILE a heap profile at every "stats".
func child(name, addr, certFile, keyFile string) {
	if path := os.Getenv("TLSBENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path + "." + name)
		if err != nil {
			say("error %v", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	go func() {
		if err := serve(name, addr, certFile, keyFile); err != nil {
			say("error %v", err)
			os.Exit(1)
		}
	}()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		st := stats{
			CPU:   time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
			Heap:  int64(ms.HeapAlloc),
			Stack: int64(ms.StackInuse),
			RSS:   rss(),
		}
		b, _ := json.Marshal(st)
		if path := os.Getenv("TLSBENCH_HEAPPROFILE"); path != "" {
			if f, err := os.Create(path + "." + name); err == nil {
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
		say("stats %s", b)
	}
}

func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, resident int64
	fmt.Sscan(string(b), &size, &resident)
	return resident * int64(os.Getpagesize())
}

// server is a running child process.
type server struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Scanner
	addr  string
}

func start(name, certFile, keyFile string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-serve", name, "-addr", addr, "-cert", certFile, "-key", keyFile)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Stderr = os.Stderr
	s := &server{cmd: cmd, addr: addr}
	if s.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s.lines = bufio.NewScanner(out)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if _, err := s.expect("ready"); err != nil {
		s.stop()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

// expect returns the rest of the next line that starts with the word.
func (s *server) expect(word string) (string, error) {
	for s.lines.Scan() {
		rest, ok := strings.CutPrefix(s.lines.Text(), "tlsbench: ")
		if !ok {
			continue // gnet's or nbio's own logging
		}
		if rest, ok := strings.CutPrefix(rest, word+" "); ok {
			return rest, nil
		}
		return "", errors.New(rest)
	}
	return "", errors.New("server exited")
}

func (s *server) stats() (stats, error) {
	var st stats
	if _, err := io.WriteString(s.stdin, "stats\n"); err != nil {
		return st, err
	}
	line, err := s.expect("stats")
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal([]byte(line), &st)
}

func (s *server) stop() {
	s.stdin.Close()
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// result is one row of the report.
type result struct {
	server, key, version string
	group                tls.CurveID // key exchange negotiated
	perCPUSecond         float64     // handshakes per second of server CPU
	perWallSecond        float64
	idleBytes            int64 // heap + stacks per idle connection
	idleRSS              int64
}

func drive(names, keys, versions []string, handshakes, idle int) error {
	dir, err := os.MkdirTemp("", "tlsbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var results []result
	for _, key := range keys {
		certFile, keyFile, err := makePair(filepath.Join(dir, key), key)
		if err != nil {
			return err
		}
		for _, version := range versions {
			v := map[string]uint16{"tls12": tls.VersionTLS12, "tls13": tls.VersionTLS13}[version]
			if v == 0 {
				return fmt.Errorf("unknown version %q", version)
			}
			n := handshakes
			if strings.HasPrefix(key, "rsa") {
				n /= 4
			}
			for _, name := range names {
				r, err := measure(name, certFile, keyFile, v, n, idle)
				if err != nil {
					return fmt.Errorf("%s %s %s: %w", name, key, version, err)
				}
				r.key, r.version = key, version
				results = append(results, r)
				fmt.Fprintf(os.Stderr, "%-10s %-10s %s: %6.0f handshakes/CPU-s, %5d B heap+stack per idle conn\n",
					name, key, version, r.perCPUSecond, r.idleBytes)
			}
		}
	}
	fmt.Printf("| server | key | version | group | handshakes / server CPU s | handshakes / s (wall) | idle heap+stack B/conn | idle RSS B/conn |\n")
	fmt.Printf("|---|---|---|---|---:|---:|---:|---:|\n")
	for _, r := range results {
		fmt.Printf("| %s | %s | %s | %s | %.0f | %.0f | %d | %d |\n",
			r.server, r.key, r.version, r.group, r.perCPUSecond, r.perWallSecond, r.idleBytes, r.idleRSS)
	}
	return nil
}

func measure(name, certFile, keyFile string, version uint16, handshakes, idle int) (result, error) {
	r := result{server: name}
	s, err := start(name, certFile, keyFile)
	if err != nil {
		return r, err
	}
	defer s.stop()
	ccfg := &tls.Config{InsecureSkipVerify: true, MinVersion: version, MaxVersion: version}

	// Handshakes: two client workers (the machine has two cores and the
	// server gets one), each connection carries one byte each way so the
	// server has finished its side before the client closes.
	if err := parallel(50, 2, func(int) error { return handshake(s.addr, ccfg, 1, nil) }); err != nil {
		return r, err
	}
	var probe net.Conn
	if err := handshake(s.addr, ccfg, 1, &probe); err != nil {
		return r, err
	}
	r.group = probe.(*tls.Conn).ConnectionState().CurveID
	probe.Close()
	before, err := s.stats()
	if err != nil {
		return r, err
	}
	start := time.Now()
	if err := parallel(handshakes, 2, func(int) error { return handshake(s.addr, ccfg, 1, nil) }); err != nil {
		return r, err
	}
	wall := time.Since(start)
	after, err := s.stats()
	if err != nil {
		return r, err
	}
	r.perCPUSecond = float64(handshakes) / (after.CPU - before.CPU).Seconds()
	r.perWallSecond = float64(handshakes) / wall.Seconds()

	// Idle: connections that did their handshake and one 200-byte
	// exchange (an upgrade request and its answer), then stay open.
	conns := make([]net.Conn, idle)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	before, err = s.stats()
	if err != nil {
		return r, err
	}
	if err := parallel(idle, 2, func(i int) error { return handshake(s.addr, ccfg, 200, &conns[i]) }); err != nil {
		return r, err
	}
	after, err = s.stats()
	if err != nil {
		return r, err
	}
	r.idleBytes = (after.Heap + after.Stack - before.Heap - before.Stack) / int64(idle)
	r.idleRSS = (after.RSS - before.RSS) / int64(idle)
	return r, nil
}

// handshake connects, echoes size bytes, and closes the connection unless
// keep is given.
func handshake(addr string, ccfg *tls.Config, size int, keep *net.Conn) error {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, ccfg)
	if err != nil {
		return err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	msg := make([]byte, size)
	if _, err := c.Write(msg); err != nil {
		c.Close()
		return err
	}
	if _, err := io.ReadFull(c, msg); err != nil {
		c.Close()
		return err
	}
	if keep != nil {
		c.SetDeadline(time.Time{})
		*keep = c
		return nil
	}
	return c.Close()
}

// parallel runs f(0..n-1) on workers goroutines and returns the first error.
func parallel(n, workers int, f func(i int) error) error {
	var mu sync.Mutex
	var first error
	next := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil || i >= n
				mu.Unlock()
				if stop {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return first
}

// makePair writes a self-signed certificate for localhost with a key of
// the given kind into dir.
func makePair(dir, kind string) (certFile, keyFile string, err error) {
	var key crypto.Signer
	switch kind {
	case "ecdsa-p256":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa-2048":
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		err = fmt.Errorf("unknown key kind %q", kind)
	}
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return "", "", err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
}
