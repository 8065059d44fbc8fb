package rpc

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

const (
	// defaultLogHubSize is how many recent lines a hub keeps when
	// NewServer makes one.
	defaultLogHubSize = 1000
	// subscriberQueue is how many lines wait for a subscriber (besides its
	// backlog) before newer ones are dropped for it.
	subscriberQueue = 1024
)

// LogLine is one application log line as the live log shows it.
type LogLine struct {
	Time    time.Time
	Level   string // "DEBUG", "INFO", "WARN", "ERROR"
	Message string
	// Text is the whole formatted line: time, level, message and
	// attributes.
	Text string
	// Dropped is set on the marker line a slow subscriber gets in place of
	// the lines it missed: how many there were.
	Dropped int
}

// LogHub is an slog.Handler that keeps the most recent log lines and hands
// every new line to its subscribers (the live log). Tee the server's
// logger into it with slog.NewMultiHandler. Logging never waits for a
// subscriber: one that reads too slowly loses lines and is told how many
// with a marker line. Lines below Info are not kept. It is safe for
// concurrent use.
type LogHub struct {
	core *hubCore
	// attrs and groups added with WithAttrs and WithGroup, in order.
	ops []formatOp
}

// formatOp is one WithAttrs (attrs) or WithGroup (group) call.
type formatOp struct {
	attrs []slog.Attr
	group string
}

type hubCore struct {
	mu          sync.Mutex
	ring        []LogLine // the most recent lines, oldest at next once full
	next        int
	full        bool
	subscribers map[*subscriber]struct{}
}

// NewLogHub returns a hub keeping the last size lines.
func NewLogHub(size int) *LogHub {
	size = max(size, 1)
	return &LogHub{core: &hubCore{ring: make([]LogLine, size), subscribers: map[*subscriber]struct{}{}}}
}

// Enabled keeps Info and above.
func (h *LogHub) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelInfo
}

// Handle formats r and hands it to the ring and the subscribers.
func (h *LogHub) Handle(_ context.Context, r slog.Record) error {
	line := LogLine{Time: r.Time, Level: r.Level.String(), Message: r.Message}
	if line.Time.IsZero() {
		line.Time = time.Now()
	}
	attrs := h.formatAttrs(r)
	line.Text = line.Time.Format("2006-01-02 15:04:05.000") + " " + line.Level + " " + r.Message
	if attrs != "" {
		line.Text += " " + attrs
	}
	h.core.publish(line)
	return nil
}

// formatAttrs renders the record's attributes (and those of WithAttrs) the
// way slog's TextHandler does, without its time, level and msg keys.
func (h *LogHub) formatAttrs(r slog.Record) string {
	var buf bytes.Buffer
	var handler slog.Handler = slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
				return slog.Attr{}
			}
			return a
		},
	})
	for _, op := range h.ops {
		if op.group != "" {
			handler = handler.WithGroup(op.group)
		} else {
			handler = handler.WithAttrs(op.attrs)
		}
	}
	if err := handler.Handle(context.Background(), r); err != nil {
		return ""
	}
	return strings.TrimSpace(buf.String())
}

// WithAttrs returns a handler feeding the same hub with attrs added.
func (h *LogHub) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return &LogHub{core: h.core, ops: append(h.ops[:len(h.ops):len(h.ops)], formatOp{attrs: attrs})}
}

// WithGroup returns a handler feeding the same hub with a group opened.
func (h *LogHub) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &LogHub{core: h.core, ops: append(h.ops[:len(h.ops):len(h.ops)], formatOp{group: name})}
}

// Recent returns up to n of the most recent lines, oldest first.
func (h *LogHub) Recent(n int) []LogLine {
	h.core.mu.Lock()
	defer h.core.mu.Unlock()
	return h.core.recentLocked(n)
}

// Subscribe starts following the log: first up to backlog recent lines,
// then each new line. The channel is closed after cancel is called; a
// subscriber must call cancel when done. A subscriber that falls more than
// about a thousand lines behind loses lines and then reads a marker line
// with Dropped set.
func (h *LogHub) Subscribe(backlog int) (lines <-chan LogLine, cancel func()) {
	c := h.core
	out := make(chan LogLine)
	sub := &subscriber{
		out: out, done: make(chan struct{}), wake: make(chan struct{}, 1),
		limit: subscriberQueue + max(backlog, 0),
	}
	c.mu.Lock()
	for _, line := range c.recentLocked(backlog) {
		sub.offer(line)
	}
	c.subscribers[sub] = struct{}{}
	c.mu.Unlock()

	go sub.run()
	var once sync.Once
	return out, func() {
		once.Do(func() {
			c.mu.Lock()
			delete(c.subscribers, sub)
			c.mu.Unlock()
			close(sub.done)
		})
	}
}

// publish adds a line to the ring and offers it to every subscriber.
func (c *hubCore) publish(line LogLine) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ring[c.next] = line
	c.next++
	if c.next == len(c.ring) {
		c.next, c.full = 0, true
	}
	for sub := range c.subscribers {
		sub.offer(line)
	}
}

// recentLocked returns up to n of the most recent lines, oldest first.
// c.mu must be held.
func (c *hubCore) recentLocked(n int) []LogLine {
	have := c.next
	if c.full {
		have = len(c.ring)
	}
	n = min(max(n, 0), have)
	lines := make([]LogLine, 0, n)
	for i := have - n; i < have; i++ {
		index := i
		if c.full {
			index = (c.next + i) % len(c.ring)
		}
		lines = append(lines, c.ring[index])
	}
	return lines
}

// subscriber is one follower of the log. Lines wait in a bounded queue;
// its own goroutine moves them to out, so a slow reader never holds up
// the logger.
type subscriber struct {
	out   chan<- LogLine
	done  chan struct{}
	wake  chan struct{} // one pending signal that the queue changed
	limit int

	mu    sync.Mutex
	queue []queuedLine
	// dropped counts lines lost since the last queued one.
	dropped int
}

// queuedLine is a line with how many lines were lost just before it.
type queuedLine struct {
	line          LogLine
	droppedBefore int
}

// offer queues a line, or counts it as dropped when the queue is full. It
// never blocks.
func (s *subscriber) offer(line LogLine) {
	s.mu.Lock()
	if len(s.queue) >= s.limit {
		s.dropped++
	} else {
		s.queue = append(s.queue, queuedLine{line: line, droppedBefore: s.dropped})
		s.dropped = 0
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take removes the next line to deliver: the oldest queued one, or, when
// the queue is empty but lines were lost at its end, just the count.
func (s *subscriber) take() (queuedLine, bool, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) > 0 {
		q := s.queue[0]
		s.queue[0] = queuedLine{}
		s.queue = s.queue[1:]
		if len(s.queue) == 0 {
			s.queue = nil // let the backing array go
		}
		return q, true, true
	}
	if s.dropped > 0 {
		q := queuedLine{droppedBefore: s.dropped}
		s.dropped = 0
		return q, false, true
	}
	return queuedLine{}, false, false
}

// run delivers queued lines, with a marker where lines were lost, until
// the subscription is cancelled; then it closes out.
func (s *subscriber) run() {
	defer close(s.out)
	for {
		q, hasLine, ok := s.take()
		if !ok {
			select {
			case <-s.wake:
				continue
			case <-s.done:
				return
			}
		}
		if q.droppedBefore > 0 && !s.send(droppedMarker(q.droppedBefore)) {
			return
		}
		if hasLine && !s.send(q.line) {
			return
		}
	}
}

func (s *subscriber) send(line LogLine) bool {
	select {
	case s.out <- line:
		return true
	case <-s.done:
		return false
	}
}

func droppedMarker(n int) LogLine {
	now := time.Now()
	msg := fmt.Sprintf("... %d lines dropped (the reader was too slow)", n)
	return LogLine{
		Time: now, Level: slog.LevelWarn.String(), Message: msg, Dropped: n,
		Text: now.Format("2006-01-02 15:04:05.000") + " " + slog.LevelWarn.String() + " " + msg,
	}
}
