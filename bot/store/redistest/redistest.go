// Package redistest runs a real redis-server for tests, on a free loopback port and
// without persistence, so that store, bus and fleet tests exercise the real protocol.
package redistest

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// Server is a redis-server owned by one test; Stop and Start simulate a Redis restart on
// the same port (with empty data).
type Server struct {
	t    testing.TB
	port int
	cmd  *exec.Cmd
	dir  string // append-only file directory; "" runs without persistence
}

// Start runs /usr/bin/redis-server and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, port: FreePort(t)}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// StartPersistent is Start with an append-only file fsynced on every write, so a Stop
// (a crash) and Start lose nothing, as with a production Redis configured for durability.
func StartPersistent(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, port: FreePort(t), dir: t.TempDir()}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// FreePort returns a loopback TCP port nobody listens on right now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// URL is the store URL of the server.
func (s *Server) URL() string { return fmt.Sprintf("redis://%s/0", s.Addr()) }

// Addr is HOST:PORT of the server.
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }

// Start (re)starts the server and waits until it accepts connections.
func (s *Server) Start() {
	s.t.Helper()
	if s.cmd != nil {
		return
	}
	args := []string{"--port", strconv.Itoa(s.port), "--save", "", "--bind", "127.0.0.1"}
	if s.dir != "" {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always", "--dir", s.dir)
	} else {
		args = append(args, "--appendonly", "no")
	}
	s.cmd = exec.Command("/usr/bin/redis-server", args...)
	if err := s.cmd.Start(); err != nil {
		s.cmd = nil
		s.t.Fatalf("start redis-server: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", s.Addr())
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.t.Fatalf("redis-server did not start on %s", s.Addr())
}

// Stop kills the server (as a crash would) and waits for it to exit.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}
