package engine

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The loop's socket calls on non-blocking descriptors (write, sendmsg, accept4) return at
// once, so they are made as raw system calls, without telling the scheduler the thread may
// block (entersyscall/exitsyscall). Besides their own cost, those calls leave the loop's P
// in the syscall state, where sysmon, seeing every P busy, takes it away and hands it to
// another thread that finds nothing to do: on a loop that spends most of its time in
// writev, that churn cost 4 % of the CPU in a pubsub profile (bench/FINDINGS.md).
// cloudwego/netpoll does the same for its non-blocking reads and writes. Never use these
// for a call that can block.

// rawWrite is write(2) on a non-blocking descriptor.
func rawWrite(fd int, b []byte) (int, unix.Errno) {
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	n, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(p), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(n), 0
}

// rawSendmsg writes iov to a non-blocking socket, as writev(2) would, by sendmsg(2): a
// socket call goes straight to the socket layer, where writev passes through the file
// layer first (vfs_writev, fdget_pos, fsnotify): about 3 % of a fan-out's CPU in perf
// profiles of the pubsub case (bench/FINDINGS.md). MSG_NOSIGNAL: a peer that reset the connection gets EPIPE without a
// SIGPIPE delivered to the loop's thread.
func rawSendmsg(fd int, iov []unix.Iovec) (int, unix.Errno) {
	msg := unix.Msghdr{Iov: &iov[0]}
	msg.SetIovlen(len(iov))
	n, _, e := unix.RawSyscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), unix.MSG_NOSIGNAL|unix.MSG_DONTWAIT)
	if e != 0 {
		return 0, e
	}
	return int(n), 0
}

// rawAccept4 is accept4(2) on a non-blocking listening socket.
func rawAccept4(lfd int, sa *unix.RawSockaddrAny, sl *uint32, flags int) (int, unix.Errno) {
	r, _, e := unix.RawSyscall6(unix.SYS_ACCEPT4, uintptr(lfd), uintptr(unsafe.Pointer(sa)),
		uintptr(unsafe.Pointer(sl)), uintptr(flags), 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), 0
}
