package wsproto

import (
	"bytes"
	stdflate "compress/flate"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	kpflate "github.com/klauspost/compress/flate"
)

// This file measures the two DEFLATE implementations the package could use,
// compress/flate and github.com/klauspost/compress/flate, on the work a
// gateway does: inflating small client messages (with and without a 32 KiB
// context-takeover dictionary) and deflating messages with a writer reset per
// message (server_no_context_takeover). Run:
//
//	go test -run='^$' -bench=Flate -benchmem ./internal/wsproto/

// telemetry returns n bytes of JSON-like gateway traffic.
func telemetry(n int) []byte {
	rng := rand.New(rand.NewPCG(7, 8))
	var b bytes.Buffer
	for b.Len() < n {
		fmt.Fprintf(&b, `{"device":"sensor-%03d","ts":%d,"temp":%.2f,"state":"%s"},`,
			rng.IntN(200), 1700000000+rng.IntN(100000), 15+rng.Float64()*10,
			[]string{"ok", "warn", "fail"}[rng.IntN(3)])
	}
	return b.Bytes()[:n]
}

type flateImpl struct {
	name      string
	newWriter func(w io.Writer, level int) (flateWriter, error)
	newReader func(r io.Reader) io.ReadCloser
}

type flateWriter interface {
	io.Writer
	Flush() error
	Reset(io.Writer)
}

type flateResetter interface {
	Reset(r io.Reader, dict []byte) error
}

var flateImpls = []flateImpl{
	{"stdlib",
		func(w io.Writer, l int) (flateWriter, error) { return stdflate.NewWriter(w, l) },
		stdflate.NewReader},
	{"klauspost",
		func(w io.Writer, l int) (flateWriter, error) { return kpflate.NewWriter(w, l) },
		kpflate.NewReader},
}

var flateSizes = []int{64, 4096, 65536}

func BenchmarkFlate(b *testing.B) {
	for _, size := range flateSizes {
		msg := telemetry(size)
		for _, impl := range flateImpls {
			for _, level := range []int{1, 5} {
				b.Run(fmt.Sprintf("deflate/%s/level%d/%s", impl.name, level, sizeName(size)), func(b *testing.B) {
					var out bytes.Buffer
					w, _ := impl.newWriter(&out, level)
					b.ReportAllocs()
					b.SetBytes(int64(size))
					for b.Loop() {
						out.Reset()
						w.Reset(&out)
						w.Write(msg)
						w.Flush()
					}
					b.ReportMetric(float64(out.Len()-4)/float64(size), "ratio")
				})
			}
		}
		// Inflate the same client message, compressed by compress/flate.
		var z bytes.Buffer
		zw, _ := stdflate.NewWriter(&z, stdflate.BestSpeed)
		zw.Write(msg)
		zw.Flush()
		dict := telemetry(32 << 10)
		for _, impl := range flateImpls {
			for _, withDict := range []bool{false, true} {
				name := fmt.Sprintf("inflate/%s/%s", impl.name, sizeName(size))
				if withDict {
					name = fmt.Sprintf("inflate-dict32KiB/%s/%s", impl.name, sizeName(size))
				}
				b.Run(name, func(b *testing.B) {
					src := bytes.NewReader(z.Bytes())
					fr := impl.newReader(src)
					out := make([]byte, size)
					var d []byte
					if withDict {
						d = dict
					}
					b.ReportAllocs()
					b.SetBytes(int64(size))
					for b.Loop() {
						src.Reset(z.Bytes())
						fr.(flateResetter).Reset(src, d)
						if _, err := io.ReadFull(fr, out); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}
