// Package apps is the API an application author implements for wsgate. Applications are
// registered on an engine.Server (Server.Register), which routes each path to its
// application; the built-in ones (echo, broadcast) are in package apps/builtin.
//
// An application owns one path (its alias) on the servers named in its scope. The gateway
// calls it in four steps:
//
//   - OnHandshake, before the 101 answer: accept (return nil), refuse with a status and
//     headers of its choice (return Refuse(401, ...)), decline (return ErrDeclined or an error
//     wrapping it: 503), or fail (any other error, or a panic: 500). It may choose the
//     subprotocol among those the client offered, and attach a value to the connection
//     (Handshake.SetValue).
//   - OnOpen, once the socket is connected. Conn carries what the handshake decided: the
//     authenticated user, the path, the query and the attached value.
//   - OnMessage, for every complete text or binary message.
//   - OnClose, once, when the connection ends for any reason.
//
// Every callback runs on the connection's event loop: it must not block, and the bytes it is
// given are borrowed, valid only until it returns (copy what you keep). A panic in a callback
// closes that one connection with 1011 (500 during the handshake) and leaves the others alone.
// Conn's write and close methods are safe from any goroutine and keep the order of the calls;
// its Value and SetValue are atomic.
//
// A minimal application:
//
//	srv.Register(apps.Spec{Name: "shout", Path: "/shout"}, apps.Funcs{
//		Message: func(c apps.Conn, t apps.MessageType, p []byte) {
//			c.WriteMessage(t, bytes.ToUpper(p))
//		},
//	})
package apps
