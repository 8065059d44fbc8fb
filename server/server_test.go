package server

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/server/config"
	"github.com/mailwright/mailwright/store"
)

// The Status page's Stop and Start: the listeners go away and come back
// inside the running process, and the status says so.
func TestStopAndStartServicesInsideTheProcess(t *testing.T) {
	cfg := config.Default(t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ports, _ := srv.Store.Ports(ctx)
	for _, p := range ports {
		srv.Store.DeletePort(ctx, p.ID)
	}
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := free.Addr().(*net.TCPAddr).Port
	free.Close()
	if _, err := srv.Store.CreatePort(ctx, store.Port{Protocol: store.ProtocolSMTP, Address: netip.MustParseAddr("127.0.0.1"), Port: port}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Store.SetSetting(ctx, "AdminAddress", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ready) }()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("not ready within 30s")
	}
	greet := func() string {
		addrs := srv.Addrs(store.ProtocolSMTP)
		if len(addrs) != 1 {
			return ""
		}
		c, err := net.DialTimeout("tcp", addrs[0].String(), 5*time.Second)
		if err != nil {
			return ""
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		line, _ := bufio.NewReader(c).ReadString('\n')
		return line
	}
	if g := greet(); !strings.HasPrefix(g, "220 ") || !srv.Running() {
		t.Fatalf("after start: greeting %q, running %v", g, srv.Running())
	}
	old := srv.Addrs(store.ProtocolSMTP)[0].String()
	if err := srv.StopServices(); err != nil {
		t.Fatal(err)
	}
	if srv.Running() || len(srv.Addrs(store.ProtocolSMTP)) != 0 {
		t.Fatal("services still running after StopServices")
	}
	if c, err := net.DialTimeout("tcp", old, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after StopServices", old)
	}
	if err := srv.StartServices(); err != nil {
		t.Fatal(err)
	}
	if g := greet(); !strings.HasPrefix(g, "220 ") {
		t.Fatalf("after restart: greeting %q", g)
	}
	st := srv.Status(ctx)
	if st.Version != Version || st.DatabaseType != "sqlite" || st.DatabaseLocation != cfg.Database.File {
		t.Errorf("status %+v", st)
	}
	found := false
	for _, w := range st.Warnings {
		found = found || strings.Contains(w, "No host name")
	}
	if !found {
		t.Errorf("the self-test did not warn about the missing host name: %q", st.Warnings)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return within 30s of cancel")
	}
}
