package load

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// clockTick is USER_HZ, the unit of utime and stime in /proc/<pid>/stat; it
// is 100 on every Linux architecture Go supports.
const clockTick = 100

// ProcCPU returns the CPU time (utime+stime, all threads) the process pid
// has used so far, from /proc/<pid>/stat. Its resolution is 10 ms.
func ProcCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStat(b)
}

func parseStat(b []byte) (time.Duration, error) {
	// The command name may hold spaces and parentheses: fields are counted
	// after the last ')', where field 3 (state) starts.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("load: malformed stat")
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("load: short stat")
	}
	u, err1 := strconv.ParseUint(string(f[11]), 10, 64) // field 14
	s, err2 := strconv.ParseUint(string(f[12]), 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("load: malformed stat times")
	}
	return time.Duration(u+s) * time.Second / clockTick, nil
}

// ProcRSS returns the resident set size (VmRSS) of process pid in bytes, from
// /proc/<pid>/status.
func ProcRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseRSS(b)
}

func parseRSS(b []byte) (int64, error) {
	_, rest, ok := bytes.Cut(b, []byte("\nVmRSS:"))
	if !ok {
		return 0, fmt.Errorf("load: no VmRSS")
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) != 2 || string(f[1]) != "kB" {
		return 0, fmt.Errorf("load: malformed VmRSS")
	}
	kb, err := strconv.ParseInt(string(f[0]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("load: malformed VmRSS")
	}
	return kb << 10, nil
}

// RaiseNoFile sets this process's RLIMIT_NOFILE soft limit to its hard limit
// and returns the new limit. Calling Setrlimit explicitly also makes children
// started afterwards inherit the raised limit (Go restores the original limit
// for children only when the program never set it itself).
func RaiseNoFile() (uint64, error) {
	var l unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	l.Cur = l.Max
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	return l.Cur, nil
}
