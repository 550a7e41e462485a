// Package check holds the validation rules shared by the configuration file (package config)
// and the application registry (package apps and internal/route): an application path, a
// subprotocol token, a name, and the Origin allow-list with its matcher. Each rule is written
// once here so the two never disagree.
package check
