package engine

import (
	"runtime"
	"testing"
	"time"
)

// TestOptionsNormalize: the zero value gets every default, a negative turns off what can be
// off, and a set value is kept.
func TestOptionsNormalize(t *testing.T) {
	zero := Options{}.normalize()
	want := Options{
		HTTP:             Listener{Name: HTTPService, Address: DefaultHTTPAddress},
		PingInterval:     DefaultPingInterval,
		HandshakeTimeout: DefaultHandshakeTimeout,
		CloseTimeout:     DefaultCloseTimeout,
		MaxConnections:   DefaultMaxConnections,
		MaxHandshaking:   DefaultMaxHandshaking,
		MaxMessageSize:   DefaultMaxMessageSize,
		MaxHeaderBytes:   DefaultMaxHeaderBytes,
		MaxTargetBytes:   DefaultMaxTargetBytes,
		MaxPendingBytes:  DefaultMaxPendingBytes,
		EventLoops:       DefaultEventLoops(runtime.NumCPU()),
	}
	zero.Logger, zero.Standalone = nil, nil
	if zero.HTTP != want.HTTP || zero.PingInterval != want.PingInterval || zero.HandshakeTimeout != want.HandshakeTimeout ||
		zero.CloseTimeout != want.CloseTimeout || zero.MaxConnections != want.MaxConnections ||
		zero.MaxHandshaking != want.MaxHandshaking || zero.MaxMessageSize != want.MaxMessageSize ||
		zero.MaxHeaderBytes != want.MaxHeaderBytes || zero.MaxTargetBytes != want.MaxTargetBytes ||
		zero.MaxPendingBytes != want.MaxPendingBytes || zero.EventLoops != want.EventLoops {
		t.Fatalf("zero value normalized to\n%+v\nwant\n%+v", zero, want)
	}
	off := Options{PingInterval: -1, MaxConnections: -1, MaxHandshaking: -1, MaxPendingBytes: -1,
		MaxConnectionsPerApp: -5, HandshakeTimeout: -1, MaxHeaderBytes: -1}.normalize()
	if off.PingInterval != 0 || off.MaxConnections != 0 || off.MaxHandshaking != 0 || off.MaxPendingBytes != 0 ||
		off.MaxConnectionsPerApp != 0 {
		t.Fatalf("negative values not turned off: %+v", off)
	}
	if off.HandshakeTimeout != DefaultHandshakeTimeout || off.MaxHeaderBytes != DefaultMaxHeaderBytes {
		t.Fatalf("limits that cannot be off took a negative: %+v", off)
	}
	set := Options{PingInterval: time.Second, MaxConnections: 7, EventLoops: 3, HTTP: Listener{Name: "x", Address: ":1"}}.normalize()
	if set.PingInterval != time.Second || set.MaxConnections != 7 || set.EventLoops != 3 || set.HTTP.Name != HTTPService || set.HTTP.Address != ":1" {
		t.Fatalf("set values changed: %+v", set)
	}
}

// TestNewRejectsBadListeners: standalone names are checked, and errors name them.
func TestNewRejectsBadListeners(t *testing.T) {
	for _, l := range [][]Listener{
		{{Name: "http", Address: "127.0.0.1:0"}},
		{{Name: "a", Address: "127.0.0.1:0"}, {Name: "a", Address: "127.0.0.1:0"}},
		{{Name: "", Address: "127.0.0.1:0"}},
		{{Name: "a", Address: "127.0.0.1:0", TLSCert: "only-cert.pem"}},
	} {
		if _, err := New(Options{Standalone: l, Logger: testLogger(t)}); err == nil {
			t.Errorf("New accepted %+v", l)
		}
	}
}
