package rpc

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// receiveLogLine reads one line, failing the test after a generous wait.
func receiveLogLine(t *testing.T, lines <-chan LogLine) LogLine {
	t.Helper()
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatal("the subscription ended")
		}
		return line
	case <-time.After(10 * time.Second):
		t.Fatal("no line arrived")
	}
	return LogLine{}
}

func TestLogHubFormatsLines(t *testing.T) {
	hub := NewLogHub(10)
	log := slog.New(hub).With("component", "smtp").WithGroup("session")
	log.Info("client connected", "ip", "192.0.2.1", "note", "two words")
	log.Debug("not kept")

	recent := hub.Recent(10)
	if len(recent) != 1 {
		t.Fatalf("%d lines kept, want 1 (debug is not kept)", len(recent))
	}
	line := recent[0]
	if line.Level != "INFO" || line.Message != "client connected" {
		t.Errorf("level %q message %q", line.Level, line.Message)
	}
	for _, want := range []string{" INFO client connected ", "component=smtp", "session.ip=192.0.2.1", `session.note="two words"`} {
		if !strings.Contains(line.Text, want) {
			t.Errorf("text %q lacks %q", line.Text, want)
		}
	}
	if strings.Contains(line.Text, "msg=") || strings.Contains(line.Text, "level=") {
		t.Errorf("text %q repeats the message or level as attributes", line.Text)
	}
}

func TestLogHubKeepsTheLastLines(t *testing.T) {
	hub := NewLogHub(5)
	log := slog.New(hub)
	for i := range 12 {
		log.Info(fmt.Sprint("line ", i))
	}
	var got []string
	for _, l := range hub.Recent(100) {
		got = append(got, l.Message)
	}
	if want := "line 7,line 8,line 9,line 10,line 11"; strings.Join(got, ",") != want {
		t.Errorf("Recent = %v, want %s", got, want)
	}
	if r := hub.Recent(2); len(r) != 2 || r[1].Message != "line 11" {
		t.Errorf("Recent(2) = %v", r)
	}
}

func TestLogHubSubscriberGetsBacklogThenNewLines(t *testing.T) {
	hub := NewLogHub(100)
	log := slog.New(hub)
	for i := range 5 {
		log.Info(fmt.Sprint("old ", i))
	}
	lines, cancel := hub.Subscribe(2)
	log.Info("new")
	for _, want := range []string{"old 3", "old 4", "new"} {
		if got := receiveLogLine(t, lines).Message; got != want {
			t.Errorf("received %q, want %q", got, want)
		}
	}
	cancel()
	cancel() // a second cancel is harmless
	for range lines {
	}
}

func TestLogHubSlowSubscriberDoesNotBlockLogging(t *testing.T) {
	hub := NewLogHub(1000)
	log := slog.New(hub)
	lines, cancel := hub.Subscribe(0)
	defer cancel()
	fast, cancelFast := hub.Subscribe(0)
	// The fast subscriber reads everything as it comes.
	fastDone := make(chan int)
	go func() {
		n, dropped := 0, 0
		for line := range fast {
			if line.Dropped > 0 {
				dropped += line.Dropped
			} else {
				n++
			}
		}
		fastDone <- n + dropped
	}()

	const total = 100_000
	for i := range total {
		log.Info("message", "n", i)
	}

	// The slow one only starts reading now: it gets what fitted in its
	// queue, then a marker counting the lines it lost, then new lines.
	first := receiveLogLine(t, lines)
	if first.Message != "message" || !strings.Contains(first.Text, "n=0") {
		t.Errorf("first line %q, want the first one logged", first.Text)
	}
	// Every line logged is either received or counted by a marker; under
	// load the hub may need more than one marker.
	received, dropped, markers := 1, 0, 0
	for received+dropped < total {
		line := receiveLogLine(t, lines)
		if line.Dropped > 0 {
			dropped += line.Dropped
			markers++
			if !strings.Contains(line.Text, fmt.Sprintf("%d lines dropped", line.Dropped)) {
				t.Errorf("marker %q does not say how many lines were dropped", line.Text)
			}
			continue
		}
		received++
	}
	if markers == 0 {
		t.Error("the slow subscriber got no drop marker")
	}
	if received+dropped != total {
		t.Errorf("received %d + dropped %d = %d, want %d", received, dropped, received+dropped, total)
	}
	log.Info("after the gap")
	if got := receiveLogLine(t, lines).Message; got != "after the gap" {
		t.Errorf("line after the marker %q, want the next one logged", got)
	}

	cancelFast()
	if n := <-fastDone; n < 1 || n > total+1 {
		t.Errorf("the fast subscriber accounted for %d lines", n)
	}
}
