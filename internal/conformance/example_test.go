package conformance_test

import (
	"fmt"

	"github.com/wsgate/wsgate/internal/conformance"
)

// Run one Autobahn case against a server; an error says what differed from
// Autobahn's expectation.
func ExampleCase_Run() {
	for _, c := range conformance.Cases(conformance.Limits{}) {
		if c.ID != "5.19" {
			continue
		}
		if err := c.Run("127.0.0.1:8082", "/echo", conformance.Options{}); err != nil {
			fmt.Println(c.ID, c.Title, err)
		}
	}
}

// A case of one's own: two pings chopped into single bytes, answered in order.
func ExampleSession() {
	c := conformance.Case{
		ID:    "x2.1",
		Title: "two pings a byte at a time",
		Script: func(s *conformance.Session) error {
			s.Send(conformance.F(conformance.OpPing, "a").Chopped(1), conformance.F(conformance.OpPing, "b").Chopped(1))
			return nil
		},
		Expect: []conformance.Event{conformance.Pong("a"), conformance.Pong("b")},
		Close:  conformance.Close{ByClient: true, Codes: []uint16{conformance.CloseNormal}, Clean: true},
	}
	_ = c.Run("127.0.0.1:8082", "/echo", conformance.Options{})
}
