// Package sdnotify tells systemd about the service's state, for units with
// Type=notify (sd_notify(3)): READY=1 once the gateway listens, RELOADING=1
// with MONOTONIC_USEC while it applies a SIGHUP, READY=1 again afterwards,
// STOPPING=1 when it shuts down, and STATUS= lines for systemctl status.
//
// The socket is the one named by $NOTIFY_SOCKET: a path, or an abstract
// socket when the name starts with '@'. Without the variable (not under
// systemd) every call does nothing and returns nil.
//
//	n := sdnotify.FromEnv()
//	// ... listeners open ...
//	n.Ready("serving 3 applications")
//	// SIGHUP:
//	n.Reloading()
//	// ... apply ...
//	n.Ready("reloaded")
//	// SIGTERM:
//	n.Stopping()
package sdnotify
