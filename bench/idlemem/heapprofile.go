//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/mailwright/mailwright/bench/imapload/throwaway"
	"github.com/mailwright/mailwright/server"
	"github.com/mailwright/mailwright/server/config"
	"github.com/mailwright/mailwright/store/password"
)

// heapProfile runs Mailwright's server in this process (server.Open and
// Run on the configuration "mailwrightd setup" writes, as mailwrightd
// does), opens n idle connections to it and writes a heap profile of what
// they hold (after a GC), with the Go runtime's own accounts per
// connection: heap in use, goroutine stacks, goroutines. The clients'
// share is small (a net.Conn each, no goroutine once in IDLE) and is
// counted in.
func heapProfile(o options, file string, n int) error {
	// Every allocation in the profile, not one per 512 KiB: the
	// connections' share is a few tens of KiB each, which sampling blurs.
	runtime.MemProfileRate = 1
	tmp, err := os.MkdirTemp(o.dir, "idlemem-heap-")
	if err != nil {
		return err
	}
	atCleanup(func() { os.RemoveAll(tmp) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := config.Default(tmp)
	cfg.Path = filepath.Join(tmp, "etc", "mailwright.ini")
	hash, err := password.Hash("benchmark administrator")
	if err != nil {
		return err
	}
	cfg.Security.AdministratorPassword = hash
	srv, err := server.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	imapPort, err := throwaway.FreePort()
	if err != nil {
		return err
	}
	pop3Port, err := throwaway.FreePort()
	if err != nil {
		return err
	}
	users := throwaway.Users(o.users)
	if err := throwaway.ConfigureStore(ctx, srv.Store, imapPort, pop3Port, users); err != nil {
		return err
	}
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() { done <- srv.Run(ctx, ready) }()
	defer func() {
		cancel()
		<-done
	}()
	select {
	case <-ready:
	case err := <-done:
		return fmt.Errorf("the server stopped at start: %v", err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", imapPort)
	if err := throwaway.Fill(addr, users, o.messages, o.size); err != nil {
		return err
	}
	for _, u := range users { // warm-up, as in the measured rounds
		c, err := openIdle(addr, u)
		if err != nil {
			return err
		}
		c.Close()
	}
	time.Sleep(time.Second)
	before := readRuntime()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range n {
		c, err := openIdle(addr, users[i%len(users)])
		if err != nil {
			return fmt.Errorf("connection %d: %w", i+1, err)
		}
		conns = append(conns, c)
	}
	time.Sleep(2 * time.Second)
	after := readRuntime()
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	per := func(a, b uint64) float64 { return (float64(b) - float64(a)) / float64(n) / 1024 }
	fmt.Printf("in-process Mailwright, %d idle connections (GC run before each reading):\n", n)
	fmt.Printf("  heap in use:      %6.1f KiB per connection (%d → %d KiB)\n", per(before.heapInuse, after.heapInuse), before.heapInuse/1024, after.heapInuse/1024)
	fmt.Printf("  goroutine stacks: %6.1f KiB per connection (%d → %d KiB)\n", per(before.stackInuse, after.stackInuse), before.stackInuse/1024, after.stackInuse/1024)
	fmt.Printf("  goroutines:       %6.2f per connection (%d → %d)\n", float64(after.goroutines-before.goroutines)/float64(n), before.goroutines, after.goroutines)
	fmt.Printf("  runtime Sys:      %6.1f KiB per connection (%d → %d KiB)\n", per(before.sys, after.sys), before.sys/1024, after.sys/1024)
	fmt.Printf("heap profile (in-use space) written to %s: go tool pprof -sample_index=inuse_space -top %s\n", file, file)
	return nil
}

type runtimeReading struct {
	heapInuse, stackInuse, sys uint64
	goroutines                 int
}

func readRuntime() runtimeReading {
	// A GC halves a goroutine's stack at most once (when it uses less than
	// a quarter of it): a few, so that stacks grown during LOGIN and
	// SELECT are down to what the idle wait needs, as they are in a server
	// that has run for a while (the runtime forces a GC every 2 minutes).
	for range 4 {
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return runtimeReading{heapInuse: m.HeapInuse, stackInuse: m.StackInuse, sys: m.Sys, goroutines: runtime.NumGoroutine()}
}
