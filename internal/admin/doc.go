// Package admin is the gateway's admin listener: a small net/http server,
// apart from the WebSocket event loops, for operators and their tools.
//
//	GET  /metrics     Prometheus text format (token)
//	GET  /healthz     200 "ok" while the process serves (open)
//	GET  /readyz      200 once every listener is up and, with a cluster, the
//	                  broker is connected; 503 with the reason otherwise (open)
//	GET  /api/status  the [Status] as JSON (token)
//	POST /api/apps/{app}/publish?topic=T[&retain=1]
//	                  hands the body to the [Publisher] (token)
//	GET  /            a live status page for a browser (open; it holds no
//	                  data and fetches /api/status itself)
//
// The data comes from a [Source] that the gateway implements; the package
// knows nothing of the engine. [Server.Handle] mounts further handlers behind
// the same authentication.
//
// # Authentication
//
// With an [auth.Authenticator] of method Token (the configuration's
// auth = "token", credentials = FILE of hex SHA-256 digests) every protected
// route wants "Authorization: Bearer <token>"; a missing or wrong token gets
// 401 with WWW-Authenticate, a valid token of a user not permitted 403. The
// probes /healthz and /readyz stay open, so that systemd, a load balancer or
// Kubernetes can ask without a secret; the page is static and open too. The
// page takes the token once from its address (/?token=…), keeps it in the
// tab's sessionStorage, removes it from the address bar and sends it as a
// bearer header; without one it asks for it. The server never logs a token,
// a request's query or its headers, and the page sends Referrer-Policy:
// no-referrer.
//
// # Connections
//
// Keep-alive connections are closed after IdleTimeout without a request (the
// gateway passes its handshake_timeout), and at most MaxConnections are open
// at once: past that a connection gets "503 Service Unavailable" and is
// closed.
//
//	srv, err := admin.New(admin.Options{Addr: "127.0.0.1:9100", Source: gw, Version: version})
//	if err != nil { ... }
//	if err := srv.Start(); err != nil { ... } // binds, serves in the background
//	defer srv.Shutdown(ctx)
package admin
