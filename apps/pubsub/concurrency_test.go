package pubsub_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wsgate/wsgate/apps/pubsub"
)

// Publishes from several goroutines at once, while other clients subscribe and unsubscribe,
// reach every subscriber once each, in each publisher's order.
func TestConcurrentPublishers(t *testing.T) {
	const publishers, each = 4, 150
	g := startGateway(t, pubsub.Options{MaxMessageRate: -1})
	var subs []*client
	for range 3 {
		subs = append(subs, g.dialRaw(t, "?topic=c/x", nil))
	}
	churn := g.dialEnv(t, "", nil)
	g.waitSubscriptions(t, 3)

	var wg sync.WaitGroup
	for p := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if n, err := g.app.Publish("c/x", pubsub.Text, []byte(fmt.Sprintf("%d:%d", p, i)), false); err != nil || n < 3 {
					t.Errorf("Publish: %d, %v", n, err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // subscriptions come and go on the same topic and others meanwhile
		defer wg.Done()
		for i := range 50 {
			f := []string{"c/+", "c/#", "d/" + strconv.Itoa(i)}[i%3]
			churn.send(`{"type":"subscribe","topic":"` + f + `"}`)
			churn.send(`{"type":"unsubscribe","topic":"` + f + `"}`)
		}
	}()
	for _, s := range subs {
		next := make([]int, publishers)
		for range publishers * each {
			_, p := s.read()
			a, b, _ := strings.Cut(string(p), ":")
			pub, _ := strconv.Atoi(a)
			i, _ := strconv.Atoi(b)
			if pub < 0 || pub >= publishers || i != next[pub] {
				t.Fatalf("got %q, want %d:%d", p, pub, next[max(0, min(pub, publishers-1))])
			}
			next[pub]++
		}
	}
	wg.Wait()
}
