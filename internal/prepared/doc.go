// Package prepared is the engine's view of an apps.PreparedMessage: the frame encoded once,
// and compressed at most once, for every receiver. Package apps keeps it behind an unexported
// field so an application cannot reach the encoded bytes; the engine gets them through Of.
package prepared
