package cluster_test

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/wsgate/wsgate/internal/cluster"
)

// Two gateways' nodes on one NATS server: what the first forwards reaches the second's
// receiver, because the second is interested in a matching filter.
func Example() {
	ns, _ := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	go ns.Start()
	ns.ReadyForConnections(5 * time.Second)
	defer ns.Shutdown()
	url := "nats://" + ns.Addr().(*net.TCPAddr).String()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	a, err := cluster.New(cluster.Options{URLs: []string{url}, Name: "gw-a", Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	b, err := cluster.New(cluster.Options{URLs: []string{url}, Name: "gw-b", Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()

	got := make(chan cluster.Message, 1)
	a.Attach("chat", cluster.ReceiverFunc(func(cluster.Message) int { return 0 }))
	b.Attach("chat", cluster.ReceiverFunc(func(m cluster.Message) int {
		m.Data = append([]byte(nil), m.Data...) // lent until the call returns
		got <- m
		return 1
	}))
	b.Interest("chat", "room/+", true)
	for _, n := range []*cluster.Node{a, b} {
		for ok, _ := n.Ready(); !ok; ok, _ = n.Ready() {
			time.Sleep(time.Millisecond)
		}
	}
	if err := b.Sync(5 * time.Second); err != nil {
		fmt.Println(err)
		return
	}

	a.Forward("chat", cluster.Message{Topic: "room/1", Kind: cluster.Text, Data: []byte("hello")})
	m := <-got
	fmt.Printf("%s %s %q\n", m.Topic, m.Kind, m.Data)
	fmt.Println(cluster.TopicSubject("wsgate", "chat", "room/1"))
	fmt.Println(cluster.FilterSubjects("wsgate", "chat", "room/#"))
	// Output:
	// room/1 text "hello"
	// wsgate.chat.room.1
	// [wsgate.chat.room wsgate.chat.room.>]
}
