package tlsconn

// Adopt makes c serve n's certificate pair from now on, and read n's files at the next
// Reload: a live reconfiguration that names other files for a listener loads them into a
// new Config first (NewConfig reports what is wrong with them, changing nothing), then
// adopts it. c keeps its own crypto/tls settings and session-ticket keys, so sessions
// established with c, and resumption, are not affected. n is left as it is.
func (c *Config) Adopt(n *Config) {
	c.files.Store(n.files.Load())
	c.cert.Store(n.cert.Load())
}
