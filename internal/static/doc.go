// Package static is the small HTTP responder of wsgate's HTTP service: it
// answers ordinary requests (anything that is not a WebSocket upgrade handed
// to an application, docs/routing.md, status rows 4 and 5) with files from a root directory,
// or with the gateway's default page when there is no root.
//
// It runs on the event loop, so it never blocks for long: files up to
// maxCachedFile are read once and served from memory (0 allocations on a
// hit), their modification time is re-checked at most once a second, and
// the cache as a whole is bounded. Files between maxCachedFile and maxFile
// are never held whole: Serve hands their body over as a Body that the
// caller reads in chunks as the client takes them (HEAD and 304 only stat
// the file); larger ones are refused with 500 "File too large". Paths are resolved inside the root with os.Root, so neither ".."
// nor a symlink can reach outside it; dot-segments and hidden names (other
// than ".well-known") are answered 404.
//
//	s, err := static.New(cfg.Root, page)
//	...
//	var body static.Body
//	out, keep := s.Serve(out[:0], &req, &body) // req parsed by handshake.Parse
//	conn.Write(out)
//	for body.Len() > 0 { // at the pace the client reads
//		chunk, err := body.Next(scratch, room)
//		...
//	}
//	if !keep { conn.Close() }
package static
