package pubsub

import (
	"strconv"
	"testing"

	"github.com/wsgate/wsgate/apps"
)

// fanoutApp builds the fan-out case: 100,000 subscriptions on 10,000 topics, of
// which 10,000 (from 10,000 connections) are on the hot topic "dev/0/temp". The other
// 90,000 are nine per other topic, from 10,000 more connections. raw sets the mode of
// the hot topic's receivers: 0 envelope, 1 raw, 2 half and half.
func fanoutApp(tb testing.TB, raw int) (*App, []*sinkConn) {
	a := New(Options{MaxSubscriptions: -1})
	hot := make([]*sinkConn, 10_000)
	for i := range hot {
		hot[i] = newSink(uint64(i+1), raw == 1 || (raw == 2 && i%2 == 0))
		attach(a, hot[i], "dev/0/temp")
	}
	others := make([]*sinkConn, 10_000)
	for i := range others {
		others[i] = newSink(uint64(100_000+i), false)
		attach(a, others[i])
	}
	cl := make([]*client, len(others))
	for i, c := range others {
		cl[i] = c.value.(*client)
	}
	k := 0
	for topic := 1; topic < 10_000; topic++ {
		for range 9 {
			if err := a.subscribe(cl[k%len(cl)], "dev/"+strconv.Itoa(topic)+"/temp", false, nil); err != nil {
				tb.Fatal(err)
			}
			k++
		}
	}
	if _, _, n, _ := a.Stats(); n != 10_000+9*9_999 {
		tb.Fatalf("%d subscriptions", n)
	}
	return a, hot
}

// BenchmarkPublishFanout publishes one 64-byte JSON message to the hot topic: match, one
// encoding per receiver mode, and 10,000 deliveries (each a copy of the frame into the
// connection's buffer, as the engine's WritePrepared does). deliveries/s is per core.
func BenchmarkPublishFanout(b *testing.B) {
	for _, bc := range []struct {
		name string
		raw  int
	}{{"envelope", 0}, {"raw", 1}, {"mixed", 2}} {
		b.Run(bc.name, func(b *testing.B) {
			a, hot := fanoutApp(b, bc.raw)
			data := []byte(`{"device":"dev-0","temp":21.5,"unit":"C","ts":1733356800000}`)
			a.Publish("dev/0/temp", JSON, data, false) // each connection's buffer, once
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if n, _ := a.Publish("dev/0/temp", JSON, data, false); n != len(hot) {
					b.Fatalf("delivered %d", n)
				}
			}
			b.ReportMetric(float64(len(hot)*b.N)/b.Elapsed().Seconds(), "deliveries/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(len(hot)*b.N), "ns/delivery")
		})
	}
}

// BenchmarkPublishCold publishes to a topic with nine receivers among the 100,000
// subscriptions: the cost follows the receivers, not the subscriptions.
func BenchmarkPublishCold(b *testing.B) {
	a, _ := fanoutApp(b, 0)
	data := []byte(`{"temp":21.5}`)
	topics := make([]string, 10_000)
	for i := range topics {
		topics[i] = "dev/" + strconv.Itoa(i) + "/temp"
		a.Publish(topics[i], JSON, data, false)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i = i%9_998 + 1
		if n, _ := a.Publish(topics[i], JSON, data, false); n != 9 && n != 8 {
			b.Fatalf("delivered %d", n)
		}
	}
}

// BenchmarkClientPublish is one envelope publish request from a client, decoded and
// published to one subscriber, with its ack.
func BenchmarkClientPublish(b *testing.B) {
	a := New(Options{ClientPublish: true, MaxMessageRate: -1})
	sub := newSink(1, false)
	attach(a, sub, "room/+")
	pub := newSink(2, false)
	attach(a, pub)
	req := []byte(`{"type":"publish","topic":"room/42","data":{"user":"alice","text":"hello there"},"id":17}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		a.OnMessage(pub, apps.Text, req)
	}
	if sub.frames == 0 {
		b.Fatal("nothing delivered")
	}
}

// BenchmarkDecode decodes a publish envelope.
func BenchmarkDecode(b *testing.B) {
	var d decoder
	var r request
	req := []byte(`{"type":"publish","topic":"factory\/line-4\/press","data":{"temp":[21.5,21.7,21.9],"ok":true},"retain":true,"id":"req-123"}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		if err := d.decode(req, &r); err != nil {
			b.Fatal(err)
		}
	}
}
