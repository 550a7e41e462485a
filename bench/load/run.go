package load

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Scenario names a load pattern.
type Scenario string

// The scenarios.
const (
	// Echo: Conns connections each send a Size-byte binary message and wait
	// for its echo before sending the next; round-trip latency per message.
	Echo Scenario = "echo"
	// Idle: Conns connections are opened and held; the server's VmRSS growth
	// per connection, then every connection must echo one message.
	Idle Scenario = "idle"
	// Upgrade: Conns workers each connect, upgrade, run the close handshake
	// and start over; handshakes per second and handshake latency.
	Upgrade Scenario = "upgrade"
	// Broadcast: Conns subscribers and one publisher whose messages the
	// server delivers to every subscriber; deliveries per second and the
	// publish-to-delivery latency.
	Broadcast Scenario = "broadcast"
	// PubSub: Conns subscribers spread evenly over Topics topics (subscriber i
	// on topic i%Topics, "t<k>", named in the URL as ?topic=t<k>) and one
	// publisher per topic (?topic=t<k> too); the server delivers each message
	// to its topic's subscribers. Deliveries per second and latency as for
	// broadcast, and the server's memory per subscriber.
	PubSub Scenario = "pubsub"
)

// Protocol is a pubsub scenario's client protocol.
type Protocol string

// The pubsub protocols.
const (
	Raw        Protocol = ""
	Centrifugo Protocol = "centrifugo"
)

// Config describes one run. Zero fields take the defaults given per field.
type Config struct {
	Scenario Scenario
	// Addr is the server's host:port; the host must be a 127.0.0.0/8 IPv4
	// address (or "localhost").
	Addr string
	// Path is the request path, e.g. "/echo".
	Path string
	// Conns is the number of connections (echo, idle), subscribers
	// (broadcast) or concurrent workers (upgrade). Default 100.
	Conns int
	// Size is the message size in bytes for echo and broadcast, at least 16.
	// Default 64.
	Size int
	// Duration is the measured window. Default 3s.
	Duration time.Duration
	// Warmup runs the load before the window without measuring. Default 500ms.
	Warmup time.Duration
	// Settle is how long idle waits after connecting before sampling VmRSS.
	// Default 1s.
	Settle time.Duration
	// Window is the number of broadcast messages in flight. Default 4.
	Window int
	// Topics is the number of pubsub topics. Default 1.
	Topics int
	// Protocol is how pubsub clients speak: Raw (default: ?topic= in the URL,
	// payloads as they are) or Centrifugo (its JSON client protocol).
	Protocol Protocol
	// Loops is the number of client event loops. Default 2.
	Loops int
	// DialConcurrency bounds connects and handshakes in flight. Default 256.
	DialConcurrency int
	// Sources is the number of loopback source addresses (127.0.0.1 and up)
	// the connections are spread over. Default 16.
	Sources int
	// PID is the server process sampled for CPU time and VmRSS; 0 samples
	// nothing.
	PID int
	// Deadline caps the whole run; past it the watchdog stops the loops and
	// Run returns ErrWatchdog. Default: the phases' budgets plus 10s.
	Deadline time.Duration
	// Progress receives a progress line about once a second; nil for none.
	Progress io.Writer
	// Label prefixes progress lines.
	Label string
}

// Result is what a run measured. Latencies are in microseconds.
type Result struct {
	Scenario  Scenario `json:"scenario"`
	Conns     int      `json:"conns"`   // connections open when measuring began
	Size      int      `json:"size"`    // message size in bytes
	Seconds   float64  `json:"seconds"` // length of the measured window
	Count     int64    `json:"count"`   // echoes, deliveries or handshakes in the window
	Rate      float64  `json:"rate"`    // Count per second
	CPU       float64  `json:"cpu_s"`   // server CPU seconds in the window
	PerCPU    float64  `json:"per_cpu_s"`
	P50       float64  `json:"p50_us"`
	P99       float64  `json:"p99_us"`
	P999      float64  `json:"p999_us"`
	Max       float64  `json:"max_us"`
	RSSBefore int64    `json:"rss_before"` // server VmRSS in bytes
	RSSAfter  int64    `json:"rss_after"`
	PerConn   float64  `json:"bytes_per_conn,omitempty"` // idle, pubsub: VmRSS growth per connection (subscriber)
	Topics    int      `json:"topics,omitempty"`         // pubsub
	Alive     int64    `json:"alive,omitempty"`          // idle: connections that echoed at the end
	Failed    int64    `json:"failed"`                   // connects or handshakes that failed
	Dropped   int64    `json:"dropped"`                  // open connections lost
	Errors    int64    `json:"errors"`                   // protocol errors, mismatched echoes
	Lost      int64    `json:"lost,omitempty"`           // broadcast deliveries missing 1 s after publishing
	Err       string   `json:"error,omitempty"`
}

// Run phases.
const (
	phaseConnect int32 = iota
	phaseWarm
	phaseRun
	phaseCheck
)

type runner struct {
	cfg       Config
	sa        unix.SockaddrInet4
	host      string
	sources   []unix.SockaddrInet4
	start     time.Time
	stopped   atomic.Bool
	phase     atomic.Int32
	measuring atomic.Bool
	loops     []*loop
	wg        sync.WaitGroup
	bc        *bcastShared
}

func (r *runner) now() int64 { return int64(time.Since(r.start)) }

func normalize(cfg Config) (Config, error) {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.Conns, 100)
	def(&cfg.Size, 64)
	def(&cfg.Window, 4)
	def(&cfg.Topics, 1)
	def(&cfg.Loops, 2)
	def(&cfg.DialConcurrency, 256)
	def(&cfg.Sources, 16)
	defd(&cfg.Duration, 3*time.Second)
	defd(&cfg.Warmup, 500*time.Millisecond)
	defd(&cfg.Settle, time.Second)
	connect := 5*time.Second + time.Duration(cfg.Conns)*time.Second/2000
	defd(&cfg.Deadline, connect+cfg.Warmup+cfg.Duration+cfg.Settle+10*time.Second)
	switch cfg.Scenario {
	case Echo, Idle, Upgrade, Broadcast, PubSub:
	default:
		return cfg, fmt.Errorf("%w: Scenario %q", ErrConfig, cfg.Scenario)
	}
	if cfg.Size < 16 {
		return cfg, fmt.Errorf("%w: Size %d is below 16", ErrConfig, cfg.Size)
	}
	if cfg.Path == "" || cfg.Path[0] != '/' {
		return cfg, fmt.Errorf("%w: Path %q", ErrConfig, cfg.Path)
	}
	if cfg.Sources > 254 {
		cfg.Sources = 254
	}
	cfg.Loops = min(cfg.Loops, cfg.Conns)
	return cfg, nil
}

// resolve checks that addr is a loopback IPv4 host:port.
func resolve(addr string) (unix.SockaddrInet4, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return unix.SockaddrInet4{}, fmt.Errorf("%w: Addr %q: %v", ErrConfig, addr, err)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host).To4()
	if ip == nil || ip[0] != 127 {
		return unix.SockaddrInet4{}, fmt.Errorf("%w: %q", ErrNotLoopback, addr)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 {
		return unix.SockaddrInet4{}, fmt.Errorf("%w: Addr %q: bad port", ErrConfig, addr)
	}
	sa := unix.SockaddrInet4{Port: p}
	copy(sa.Addr[:], ip)
	return sa, nil
}

// Run performs one run against the server at cfg.Addr and returns what it
// measured. It returns early with the partial result and ctx's error or
// ErrWatchdog when ctx ends or cfg.Deadline passes. It owns every socket it
// opens and closes them all before returning.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg, err := normalize(cfg)
	if err != nil {
		return Result{}, err
	}
	sa, err := resolve(cfg.Addr)
	if err != nil {
		return Result{}, err
	}
	if lim, err := RaiseNoFile(); err == nil && cfg.Scenario != Upgrade && uint64(cfg.Conns)+64 > lim {
		return Result{}, fmt.Errorf("%w: Conns %d needs more than RLIMIT_NOFILE %d allows", ErrConfig, cfg.Conns, lim)
	}
	r := &runner{cfg: cfg, sa: sa, host: cfg.Addr, start: time.Now()}
	for i := 0; i < cfg.Sources; i++ {
		s := unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, byte(1 + i)}}
		r.sources = append(r.sources, s)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Deadline)
	defer cancel()
	switch cfg.Scenario {
	case Broadcast:
		r.bc = newBcastShared(1)
	case PubSub:
		r.bc = newBcastShared(cfg.Topics)
	}
	for i := 0; i < cfg.Loops; i++ {
		l, err := newLoop(i, r)
		if err != nil {
			r.stop()
			return Result{}, err
		}
		l.h = r.newHandler(l)
		r.loops = append(r.loops, l)
	}
	stopProgress := r.progress()
	defer stopProgress()
	var res Result
	switch cfg.Scenario {
	case Echo:
		res, err = r.runEcho(ctx)
	case Idle:
		res, err = r.runIdle(ctx)
	case Upgrade:
		res, err = r.runUpgrade(ctx)
	case Broadcast:
		res, err = r.runBroadcast(ctx)
	case PubSub:
		rss0 := r.rss()
		res, err = r.runBroadcast(ctx)
		res.Topics = cfg.Topics
		if res.Conns > 0 && rss0 > 0 && res.RSSBefore > rss0 {
			res.PerConn = float64(res.RSSBefore-rss0) / float64(res.Conns)
		}
	}
	r.stop()
	res.Scenario, res.Size = cfg.Scenario, cfg.Size
	res.Failed = r.sum(func(s *loopStats) *atomic.Int64 { return &s.failed })
	res.Dropped = r.sum(func(s *loopStats) *atomic.Int64 { return &s.dropped })
	res.Errors += r.sum(func(s *loopStats) *atomic.Int64 { return &s.errors })
	var h Histogram
	for _, l := range r.loops {
		h.Merge(&l.hist)
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	res.P50, res.P99, res.P999, res.Max = us(h.Quantile(0.5)), us(h.Quantile(0.99)), us(h.Quantile(0.999)), us(h.Max())
	if ctx.Err() == context.DeadlineExceeded {
		err = ErrWatchdog
	}
	if err != nil {
		res.Err = err.Error()
	}
	return res, err
}

// path is the request path of c: the configured one, with ?topic=t<k> for pubsub.
func (r *runner) path(c *Conn) string {
	if r.cfg.Scenario != PubSub || r.cfg.Protocol == Centrifugo {
		return r.cfg.Path
	}
	sep := "?"
	if strings.Contains(r.cfg.Path, "?") {
		sep = "&"
	}
	return r.cfg.Path + sep + "topic=t" + strconv.Itoa(int(c.topic))
}

func (r *runner) newHandler(l *loop) handler {
	per := (r.cfg.Conns + r.cfg.Loops - 1 - l.id) / r.cfg.Loops // this loop's share
	switch r.cfg.Scenario {
	case Upgrade:
		l.toDial, l.maxPend = per, per
		return &upgradeHandler{r: r}
	case Idle:
		l.toDial, l.maxPend = per, max(1, r.cfg.DialConcurrency/r.cfg.Loops)
		return &echoHandler{r: r, buf: make([]byte, 16), idle: true}
	case Broadcast, PubSub:
		l.toDial, l.maxPend = per, max(1, r.cfg.DialConcurrency/r.cfg.Loops)
		return &bcastHandler{r: r, bc: r.bc, buf: make([]byte, r.cfg.Size)}
	default:
		l.toDial, l.maxPend = per, max(1, r.cfg.DialConcurrency/r.cfg.Loops)
		buf := make([]byte, r.cfg.Size)
		for i := range buf {
			buf[i] = byte('a' + i%26)
		}
		return &echoHandler{r: r, buf: buf}
	}
}

// start launches the loops.
func (r *runner) startLoops() {
	for _, l := range r.loops {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			l.run()
		}()
	}
}

// stop ends the loops and waits (bounded) until they closed their sockets.
func (r *runner) stop() {
	if r.stopped.Swap(true) {
		return
	}
	for _, l := range r.loops {
		l.wake()
	}
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

func (r *runner) setPhase(p int32) {
	r.phase.Store(p)
	for _, l := range r.loops {
		l.wake()
	}
}

func (r *runner) sum(f func(*loopStats) *atomic.Int64) int64 {
	var n int64
	for _, l := range r.loops {
		n += f(&l.st).Load()
	}
	return n
}

func (r *runner) opened() int64 { return r.sum(func(s *loopStats) *atomic.Int64 { return &s.opened }) }
func (r *runner) failed() int64 { return r.sum(func(s *loopStats) *atomic.Int64 { return &s.failed }) }
func (r *runner) count() int64  { return r.sum(func(s *loopStats) *atomic.Int64 { return &s.count }) }

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// waitFor polls cond every 5 ms until it holds, timeout passes (returns
// false) or ctx ends.
func waitFor(ctx context.Context, timeout time.Duration, cond func() bool) (bool, error) {
	end := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(end) {
			return false, nil
		}
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return false, err
		}
	}
	return true, nil
}

// connectAll waits until every dial of the run has been answered.
func (r *runner) connectAll(ctx context.Context, want int64) (int64, error) {
	_, err := waitFor(ctx, r.cfg.Deadline, func() bool { return r.opened()+r.failed() >= want })
	return r.opened(), err
}

// sample reads the server's CPU time; 0 without a PID.
func (r *runner) cpu() time.Duration {
	if r.cfg.PID <= 0 {
		return 0
	}
	d, _ := ProcCPU(r.cfg.PID)
	return d
}

func (r *runner) rss() int64 {
	if r.cfg.PID <= 0 {
		return 0
	}
	n, _ := ProcRSS(r.cfg.PID)
	return n
}

// measure runs the measured window: counts, CPU time and latency samples
// between its start and end.
func (r *runner) measure(ctx context.Context, res *Result) error {
	c0, cpu0, t0 := r.count(), r.cpu(), time.Now()
	r.measuring.Store(true)
	err := sleep(ctx, r.cfg.Duration)
	r.measuring.Store(false)
	c1, cpu1, t1 := r.count(), r.cpu(), time.Now()
	res.Seconds = t1.Sub(t0).Seconds()
	res.Count = c1 - c0
	res.Rate = float64(res.Count) / res.Seconds
	res.CPU = (cpu1 - cpu0).Seconds()
	if res.CPU > 0 {
		res.PerCPU = float64(res.Count) / res.CPU
	}
	res.RSSAfter = r.rss()
	return err
}

// progress prints a line about once a second until the returned func is called.
func (r *runner) progress() func() {
	if r.cfg.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		last := r.count()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				c := r.count()
				names := [...]string{"connect", "warmup", "run", "check"}
				fmt.Fprintf(r.cfg.Progress, "  %s %-7s t=%4.1fs open=%d failed=%d count=%d (%d/s)\n",
					r.cfg.Label, names[r.phase.Load()], time.Since(r.start).Seconds(),
					r.opened(), r.failed(), c, c-last)
				last = c
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
