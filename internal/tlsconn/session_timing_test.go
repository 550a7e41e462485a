package tlsconn

import (
	"bytes"
	"testing"
	"time"
)

// sizeCases are the application messages the record benchmarks and the
// allocation checks use: a typical IoT message and a page-sized one.
var sizeCases = []struct {
	name string
	size int
}{
	{"64B", 64},
	{"4KiB", 4 << 10},
}

// TestSealFeedSizes round-trips each size in both directions over an
// established pair, one record per Feed, with reused buffers: the path the
// benchmarks and the allocation checks time.
func TestSealFeedSizes(t *testing.T) {
	cfg := testConfig(t, "ecdsa-p256")
	for _, fallback := range []bool{false, true} {
		for _, v := range versions {
			for _, sc := range sizeCases {
				name := v.name + "/" + sc.name
				if fallback {
					name += "/without conn buffers"
				}
				t.Run(name, func(t *testing.T) {
					if fallback {
						withoutConnBuffers(t)
					}
					p := established(t, cfg, clientConfig(cfg, v.v))
					msg := bytes.Repeat([]byte{'m'}, sc.size)
					var sealed, out, plain []byte
					for i := range 3 {
						msg[0] = byte(i)
						var err error
						sealed, err = p.client.Seal(sealed[:0], msg)
						if err != nil {
							t.Fatal(err)
						}
						if out, plain, err = p.server.Feed(sealed, out[:0], plain[:0]); err != nil || len(out) != 0 || !bytes.Equal(plain, msg) {
							t.Fatalf("server: out %d bytes, plain equal %v, %v", len(out), bytes.Equal(plain, msg), err)
						}
						if sealed, err = p.server.Seal(sealed[:0], msg); err != nil {
							t.Fatal(err)
						}
						if _, plain, err = p.client.Feed(sealed, out[:0], plain[:0]); err != nil || !bytes.Equal(plain, msg) {
							t.Fatalf("client: plain equal %v, %v", bytes.Equal(plain, msg), err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkHandshake runs complete handshakes against a crypto/tls client
// in memory. ns/op and allocs/op count both sides; server-ns/op,
// handshakes/server-s and server-allocs/op count the server's Feed calls
// alone, which is what a gateway pays per connection.
func BenchmarkHandshake(b *testing.B) {
	for _, k := range keyKinds {
		for _, v := range versions {
			b.Run(k.name+"/"+v.name, func(b *testing.B) {
				cfg := testConfig(b, k.name)
				ccfg := clientConfig(cfg, v.v)
				var server time.Duration
				var allocs uint64
				b.ReportAllocs()
				for b.Loop() {
					p := newMemPair(cfg, ccfg)
					if err := p.handshake(); err != nil {
						b.Fatal(err)
					}
					p.release()
					server += p.serverTime
					allocs += p.serverAllocs
				}
				b.ReportMetric(float64(server.Nanoseconds())/float64(b.N), "server-ns/op")
				b.ReportMetric(float64(b.N)/server.Seconds(), "handshakes/server-s")
				b.ReportMetric(float64(allocs)/float64(b.N), "server-allocs/op")
			})
		}
	}
}

// BenchmarkSeal encrypts one message into one record, into a reused
// buffer.
func BenchmarkSeal(b *testing.B) {
	cfg := testConfig(b, "ecdsa-p256")
	eachSize(b, cfg, func(b *testing.B, p *memPair, msg []byte) {
		var out []byte
		b.SetBytes(int64(len(msg)))
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if out, err = p.server.Seal(out[:0], msg); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFeed decrypts one record per Feed, as when each TCP read brings
// one message. Records are sealed by the client in batches outside the
// timer: each can be fed once only, its sequence number must be next.
func BenchmarkFeed(b *testing.B) {
	const batch = 256
	cfg := testConfig(b, "ecdsa-p256")
	eachSize(b, cfg, func(b *testing.B, p *memPair, msg []byte) {
		records := make([][]byte, batch)
		var out, plain []byte
		b.SetBytes(int64(len(msg)))
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if i%batch == 0 {
				b.StopTimer()
				for j := range records {
					records[j], _ = p.client.Seal(records[j][:0], msg)
				}
				b.StartTimer()
			}
			var err error
			if out, plain, err = p.server.Feed(records[i%batch], out[:0], plain[:0]); err != nil || len(plain) != len(msg) {
				b.Fatalf("%d bytes, %v", len(plain), err)
			}
		}
	})
}
