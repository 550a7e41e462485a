// Package natstest runs the embedded NATS server that the cluster tests talk to: a real
// nats-server on 127.0.0.1, started by the test and shut down when it ends. Only tests
// import it.
//
//	s := natstest.Run(t, 0, nil)
//	node := connect(natstest.URL(s))
package natstest
