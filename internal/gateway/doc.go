// Package gateway builds the gateway a configuration file describes: it maps a config.Config
// onto engine.Options and registers the configured applications, each built from its kind
// with its authenticator. cmd/wsgate runs it; tests that need the configured gateway use it
// too. The engine itself knows nothing of the file.
package gateway
