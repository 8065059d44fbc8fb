//go:build linux

package main

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// recorder keeps every command's latency, by command name, and the
// errors, for one session; sessions are merged at the end of a run.
type recorder struct {
	latency map[string][]time.Duration
	errors  int
	samples []string // the first few errors, to print
}

func newRecorder() *recorder { return &recorder{latency: map[string][]time.Duration{}} }

func (r *recorder) add(cmd string, d time.Duration) { r.latency[cmd] = append(r.latency[cmd], d) }

func (r *recorder) fail(err error) {
	r.errors++
	if len(r.samples) < 5 {
		r.samples = append(r.samples, err.Error())
	}
}

// measure runs f and records its latency under cmd when it succeeds; a
// failure is returned, not counted.
func (r *recorder) measure(cmd string, f func() error) error {
	began := time.Now()
	if err := f(); err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	r.add(cmd, time.Since(began))
	return nil
}

// timed runs f, recording its latency under cmd when it succeeds and the
// error when it does not.
func (r *recorder) timed(cmd string, f func() error) error {
	began := time.Now()
	if err := f(); err != nil {
		err = fmt.Errorf("%s: %w", cmd, err)
		r.fail(err)
		return err
	}
	r.add(cmd, time.Since(began))
	return nil
}

// runStats is one timed run against one server.
type runStats struct {
	elapsed  time.Duration
	ops      int // commands (IMAP) or rounds (POP3) completed
	errors   int
	samples  []string
	commands map[string]commandStats
}

type commandStats struct {
	count    int
	p50, p99 time.Duration
}

func (s runStats) rate() float64 { return float64(s.ops) / s.elapsed.Seconds() }

// merge combines the sessions' recorders into a run's figures.
func merge(recs []*recorder, elapsed time.Duration, opsOf func(name string) bool) runStats {
	all := map[string][]time.Duration{}
	st := runStats{elapsed: elapsed, commands: map[string]commandStats{}}
	for _, r := range recs {
		for cmd, ds := range r.latency {
			all[cmd] = append(all[cmd], ds...)
		}
		st.errors += r.errors
		for _, s := range r.samples {
			if len(st.samples) < 10 {
				st.samples = append(st.samples, s)
			}
		}
	}
	for cmd, ds := range all {
		slices.Sort(ds)
		st.commands[cmd] = commandStats{count: len(ds), p50: percentile(ds, 50), p99: percentile(ds, 99)}
		if opsOf(cmd) {
			st.ops += len(ds)
		}
	}
	return st
}

// percentile of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

// gather runs f for every session at once and returns the wall time.
func gather(n int, f func(i int)) time.Duration {
	began := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
	return time.Since(began)
}
