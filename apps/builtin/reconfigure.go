package builtin

import "github.com/wsgate/wsgate/config"

// Reconfigure lets wsgate's reload keep an echo application and its clients through any
// change of its [[app]] table that keeps its kind and path (gateway.Reconfigurer): echo
// has no options of its own, and what the table sets besides (scope, origins, subprotocols,
// limits, authentication, compression) the gateway applies to new connections.
func (Echo) Reconfigure(config.App) error { return nil }

// Reconfigure does for a broadcast application what Echo.Reconfigure does: its members stay
// and keep receiving every message through the change.
func (b *Broadcast) Reconfigure(config.App) error { return nil }
