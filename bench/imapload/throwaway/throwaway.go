//go:build linux

// Package throwaway starts the servers the IMAP and POP3 benchmarks
// measure — a Dovecot with its own configuration and a mailwrightd built
// from this tree, each under a temporary directory, listening on free
// loopback ports, with the same benchmark users — and stops them again. It
// also fills the users' mailboxes and reads a server's memory from /proc.
//
// It does not drive the load: bench/imapload and bench/idlemem do. It
// runs on Linux only (it reads /proc and uses process groups).
package throwaway

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// User is a benchmark account: the same address and password on every
// server.
type User struct {
	Name     string // the full address, used as the login name
	Password string
}

// Domain is the benchmark users' domain.
const Domain = "bench.test"

// Users returns n users, user01@bench.test and so on.
func Users(n int) []User {
	users := make([]User, n)
	for i := range users {
		users[i] = User{Name: fmt.Sprintf("user%02d@%s", i+1, Domain), Password: fmt.Sprintf("bench-password-%02d", i+1)}
	}
	return users
}

// Server is a running throw-away server.
type Server struct {
	Name     string // "mailwright" or "dovecot"
	IMAPAddr string // host:port
	POP3Addr string
	Users    []User
	// MainPID is the process to measure: mailwrightd, or Dovecot's master
	// (its children are found under it).
	MainPID int
	Dir     string

	command     []string // how to start the main process
	logs        []string // files whose tail explains a failed start
	stopProcess func() error
	stopped     bool
}

// launch starts the main process and waits until it listens on the IMAP
// and POP3 addresses.
func (s *Server) launch() error {
	stderr, err := os.OpenFile(filepath.Join(s.Dir, s.Name+".stderr"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer stderr.Close()
	cmd := exec.Command(s.command[0], s.command[1:]...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	stop, exited, err := startChild(cmd)
	if err != nil {
		return err
	}
	s.MainPID, s.stopProcess = cmd.Process.Pid, stop
	for _, addr := range []string{s.IMAPAddr, s.POP3Addr} {
		if err := waitListening(addr, exited, 60*time.Second); err != nil {
			stop()
			s.stopProcess = func() error { return nil }
			var tails []string
			for _, f := range append([]string{filepath.Join(s.Dir, s.Name+".stderr")}, s.logs...) {
				tails = append(tails, readTail(f))
			}
			return fmt.Errorf("%s: %v; its output:\n%s", s.Name, err, strings.Join(tails, "\n"))
		}
	}
	return nil
}

// Restart stops the server's processes and starts them again on the same
// directory, ports and mailboxes: a server with nothing in memory yet.
func (s *Server) Restart() error {
	if err := s.stopProcess(); err != nil {
		return err
	}
	return s.launch()
}

// Stop stops the server, waits for it and removes its directory; it is
// safe to call twice.
func (s *Server) Stop() error {
	if s == nil || s.stopped {
		return nil
	}
	s.stopped = true
	err := s.stopProcess()
	removeAll(s.Dir)
	return err
}

// FreePort returns a loopback TCP port nobody listens on right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// RaiseFileLimit raises this process's RLIMIT_NOFILE to n (soft and hard;
// raising the hard limit needs root or CAP_SYS_RESOURCE) or, failing that,
// the soft limit to the hard one. Servers started afterwards inherit it.
// It returns the soft limit in force.
func RaiseFileLimit(n uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur >= n {
		return lim.Cur, nil
	}
	want := syscall.Rlimit{Cur: n, Max: max(n, lim.Max)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err == nil {
		return n, nil
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	return lim.Cur, nil
}

// waitListening waits until addr accepts a connection or the process
// exits, whichever comes first.
func waitListening(addr string, exited <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("the server exited at start")
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("nothing listens on %s after %v", addr, timeout)
}

// startChild starts cmd in a process group of its own, to be sent SIGTERM
// if this process dies first, and returns a stop function that sends
// SIGTERM to the group, waits up to 15 s, then SIGKILLs it, and a channel
// closed when the process has exited.
func startChild(cmd *exec.Cmd) (stop func() error, exited <-chan struct{}, err error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	done := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(done)
	}()
	pgid := cmd.Process.Pid
	stop = func() error {
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-done
		}
		// Whatever of the group is left (a Dovecot child slow to notice).
		syscall.Kill(-pgid, syscall.SIGKILL)
		var exit *exec.ExitError
		if errors.As(waitErr, &exit) {
			return nil // stopped by our signal
		}
		return waitErr
	}
	return stop, done, nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// removeAll removes a temporary directory, reporting a failure on stderr
// rather than hiding it.
func removeAll(dir string) {
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, "throwaway: removing", dir+":", err)
	}
}
