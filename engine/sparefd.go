package engine

import "golang.org/x/sys/unix"

// spareFD is a descriptor held in reserve by an accepting goroutine, as nginx and libuv do.
// Accepting a client takes one descriptor and handing it to a loop takes a second (gnet
// duplicates it); at the descriptor limit the accept could succeed and the hand-off fail,
// and the client would be closed with its request unread, which the kernel answers with a
// reset. With a spare held, the goroutine accepts only while it holds one, and lets it go
// just for the hand-off: at the limit either accept fails and the client waits in the
// listen backlog, or the hand-off finds the spare's descriptor free. The spare is taken
// again from the descriptor the hand-off released.
type spareFD struct{ fd int }

func newSpareFD() spareFD { return spareFD{fd: -1} }

// hold takes the spare descriptor if it is not held, and reports whether it is.
func (sp *spareFD) hold() bool {
	if sp.fd >= 0 {
		return true
	}
	fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	sp.fd = fd
	return true
}

// release gives the spare descriptor back to the process.
func (sp *spareFD) release() {
	if sp.fd >= 0 {
		unix.Close(sp.fd)
		sp.fd = -1
	}
}
