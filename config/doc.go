// Package config turns the bytes of one TOML file into a validated gateway configuration.
//
// It does no I/O: cmd/wsgate reads the file (and flags) and hands the bytes to Parse; the
// files a configuration names (TLS keys, credentials, static root) are opened by their users.
//
// The file has the sections [http], [websocket], [log] and [admin] (the deprecated [metrics]
// still opens the admin listener; Warnings says so), and the arrays of
// tables [[standalone]] (standalone servers) and [[app]] (WebSocket applications); Example
// returns a commented file with every key and its default. Absent keys take their defaults,
// unknown keys are errors, and every error names the TOML path of the key at fault:
//
//	config: app[1].scope: unknown server "wss"
//	config: websocket.max_message_size: must be > 0
//
// Durations are Go durations ("30s"); sizes are bytes, written as an integer or with a unit
// ("64KiB", "1 MiB", "1MB"; see Size).
//
// Defaults live in one place, Normalize, so a Config built in Go and a parsed one agree.
// The exceptions are websocket.enabled (true) and websocket.ping_interval (30s), whose zero
// values are real choices: Default and Parse set them, Normalize leaves them alone. A zero
// written in a file where zero means nothing (max_connections = 0) is an error, not the
// default. An application without a scope is reachable on every server.
//
// Typical use, in cmd/wsgate:
//
//	cfg, err := config.Parse(data)
//	if err != nil {
//		return err // e.g. config: websocket.ping_interval (line 3): invalid duration: "30"
//	}
//	for _, app := range cfg.Apps {
//		fmt.Println(app.Name, app.Path, app.Scope)
//	}
//
// A Config is a plain value: safe for concurrent reads, not for concurrent writes.
package config
