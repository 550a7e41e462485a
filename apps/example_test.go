package apps_test

import (
	"bytes"
	"fmt"

	"github.com/wsgate/wsgate/apps"
)

// An application built from plain functions: it accepts only clients that name a device,
// answers every text message in upper case, and registers on one standalone server.
func ExampleFuncs() {
	reg := apps.NewRegistry([]string{"http", "ws"}, 0)
	err := reg.Register(apps.Spec{Name: "shout", Path: "/shout", Scope: []string{"ws"}}, apps.Funcs{
		Handshake: func(h *apps.Handshake) error {
			if h.Header("X-Device-Id") == nil {
				return apps.ErrDeclined // answered 503
			}
			return nil
		},
		Message: func(c apps.Conn, t apps.MessageType, data []byte) {
			if t == apps.Text {
				c.WriteMessage(apps.Text, bytes.ToUpper(data)) // data is copied before it returns
			}
		},
	})
	fmt.Println(err)
	fmt.Println(reg.Table().Lookup([]byte("/shout"), 1) != nil) // on "ws"
	fmt.Println(reg.Table().Lookup([]byte("/shout"), 0) != nil) // not on "http": as if missing
	// Output:
	// <nil>
	// true
	// false
}

// A message sent to many connections is encoded once: every WritePrepared copies the same
// frame, and the message can be reused for the next one afterwards.
func ExamplePreparedMessage() {
	m := apps.NewPreparedMessage(apps.Text, []byte("hello"))
	fmt.Printf("% x\n", m.Frame())
	m.Reset(apps.Binary, []byte{1, 2})
	fmt.Printf("% x\n", m.Frame())
	// Output:
	// 81 05 68 65 6c 6c 6f
	// 82 02 01 02
}
