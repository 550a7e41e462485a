package pubsub_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wsgate/wsgate/apps"
	"github.com/wsgate/wsgate/apps/pubsub"
)

// An application built on the topic engine: a chat where clients may publish only to
// rooms, every message is stamped with its sender, and a bot in the process answers on
// the same topics through the Go API.
func Example() {
	app := pubsub.New(pubsub.Options{
		Name:          "chat",
		ClientPublish: true,
		OnSubscribe: func(c apps.Conn, user, filter string) error {
			if !strings.HasPrefix(filter, "rooms/") {
				return errors.New("only rooms/… topics here")
			}
			return nil
		},
		OnPublish: func(c apps.Conn, user string, m *pubsub.Message) error {
			if m.Kind != pubsub.Text {
				return errors.New("send text")
			}
			m.Data = fmt.Appendf(nil, "%s: %s", user, m.Data) // m.Data is borrowed: build anew
			return nil
		},
	})
	// A bot subscribed inside the process; it runs on the publisher's goroutine.
	cancel, _ := app.Subscribe("rooms/+", func(m pubsub.Message) {
		if m.Retain {
			fmt.Printf("retained %s: %s\n", m.Topic, m.Data)
			return
		}
		fmt.Printf("bot saw %s: %s\n", m.Topic, m.Data)
	})
	defer cancel()
	// The server publishes from any goroutine; retained values reach late subscribers first.
	app.Publish("rooms/lobby", pubsub.Text, []byte("welcome"), true)
	n, err := app.Publish("rooms/lobby", pubsub.JSON, []byte(`{"topic":"news"}`), false)
	fmt.Println(n, err)
	_, err = app.Publish("rooms/+", pubsub.Text, []byte("x"), false)
	fmt.Println(err)
	// Register it like any application:
	//   srv.Register(app.Spec(apps.Spec{Name: "chat", Path: "/chat"}), app)

	// Output:
	// bot saw rooms/lobby: welcome
	// bot saw rooms/lobby: {"topic":"news"}
	// 1 <nil>
	// topic: wildcard in a publish topic
}
