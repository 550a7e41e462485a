// Package static is the small HTTP responder of wsgate's HTTP service: it
// answers ordinary requests (anything that is not a WebSocket upgrade handed
// to an application, docs/routing.md, status rows 4 and 5) with files from a root directory,
// or with the gateway's default page when there is no root.
//
// It runs on the event loop, so it never blocks for long: files up to
// maxCachedFile are read once and served from memory (0 allocations on a
// hit), their modification time is re-checked at most once a second, and
// the cache as a whole is bounded. Files between maxCachedFile and maxFile
// are read on each request; larger ones are refused with 500 "File too
// large". Paths are resolved inside the root with os.Root, so neither ".."
// nor a symlink can reach outside it; dot-segments and hidden names (other
// than ".well-known") are answered 404.
//
//	s, err := static.New(cfg.Root, page)
//	...
//	out, keep := s.Respond(out[:0], &req) // req parsed by handshake.Parse
//	conn.Write(out)
//	if !keep { conn.Close() }
package static
