package engine

import (
	"github.com/wsgate/wsgate/handshake"
	"github.com/wsgate/wsgate/internal/wsproto"
)

// settings are the server's options as the loops read them: normalized, never modified once
// published, and swapped whole by Reconfigure (Server.set). Every read goes through
// Server.opt, one atomic load, so a loop sees either the old settings or the new ones, never
// a mix. What a connection took from them at its upgrade (its message size limit) stays
// with it; what is read at each event (ping interval, output bound, close timeout) follows
// a reconfiguration at once.
type settings struct {
	Options
	limits  handshake.Limits
	wsPlain wsproto.Config // reader config of connections without compression
}

// newSettings derives the settings from normalized options.
func (s *Server) newSettings(o Options) *settings {
	return &settings{
		Options: o,
		limits:  handshake.Limits{MaxHeaderBytes: o.MaxHeaderBytes, MaxTargetBytes: o.MaxTargetBytes},
		wsPlain: wsproto.Config{MaxMessageSize: o.MaxMessageSize, Budget: &s.inMem},
	}
}

// opt returns the settings in force.
func (s *Server) opt() *settings { return s.set.Load() }
