//go:build linux && !poll_opt

package netpoll

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// wsgate's patch: the default poller's calls that return at once (epoll_ctl, and
// epoll_wait with a zero timeout) are raw system calls, as the poll_opt poller's are
// (syscall_epoll_linux.go): the scheduler need not be told the thread may block, and sysmon
// does not take the event loop's P while it is in the kernel. A blocking epoll_wait still
// goes through unix.EpollWait. An Errno is returned as it is: boxing one, a small
// integer, allocates nothing.

// epollWaitNow is epoll_wait with a zero timeout (epoll_pwait without a signal mask, which
// every architecture has).
func epollWaitNow(epfd int, events []unix.EpollEvent) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

// epollCtlRaw is unix.EpollCtl as a raw system call.
func epollCtlRaw(epfd, op, fd int, event *unix.EpollEvent) error {
	_, _, e := unix.RawSyscall6(unix.SYS_EPOLL_CTL, uintptr(epfd), uintptr(op), uintptr(fd),
		uintptr(unsafe.Pointer(event)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
