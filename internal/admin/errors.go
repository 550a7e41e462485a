package admin

import "errors"

// Errors of New and Start.
var (
	ErrNoSource    = errors.New("admin: Options.Source is nil")
	ErrNoAddr      = errors.New("admin: Options.Addr is empty")
	ErrAuthMethod  = errors.New("admin: only auth none or token is supported")
	ErrStarted     = errors.New("admin: server already started")
	ErrBadSettings = errors.New("admin: negative MaxConnections, IdleTimeout or MaxPublishBytes")
)
