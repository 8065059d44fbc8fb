package messagefile

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// killHelperEnv names the data directory TestHelperWriter writes into; the
// helper runs only when it is set.
const killHelperEnv = "MESSAGEFILE_KILL_HELPER_DIR"

// trailerPrefix starts the last line of every test message; the line
// holds the SHA-256 of everything before it.
const trailerPrefix = "X-Body-SHA256: "

const trailerLen = len(trailerPrefix) + sha256.Size*2 + len("\r\n")

// testMessage returns a message of 64 KiB to 1 MiB whose content is
// determined by id and which ends with a trailer holding the SHA-256 of
// the rest.
func testMessage(id string) []byte {
	var seed [32]byte
	copy(seed[:], id)
	rng := rand.New(rand.NewChaCha8(seed))
	size := 64<<10 + rng.IntN(1<<20-64<<10-256)

	var b bytes.Buffer
	b.Grow(size + trailerLen)
	fmt.Fprintf(&b, "Message-ID: <%s@kill.test>\r\nSubject: kill test\r\n\r\n", id)
	line := make([]byte, 38)
	for b.Len() < size {
		for i := range line {
			line[i] = byte(rng.Uint32())
		}
		b.WriteString(hex.EncodeToString(line))
		b.WriteString("\r\n")
	}
	sum := sha256.Sum256(b.Bytes())
	b.WriteString(trailerPrefix + hex.EncodeToString(sum[:]) + "\r\n")
	return b.Bytes()
}

// checkMessage reports why data is not a complete test message, or "".
func checkMessage(data []byte) string {
	if len(data) < trailerLen {
		return fmt.Sprintf("only %d bytes", len(data))
	}
	body, trailer := data[:len(data)-trailerLen], string(data[len(data)-trailerLen:])
	if !strings.HasPrefix(trailer, trailerPrefix) || !strings.HasSuffix(trailer, "\r\n") {
		return "no trailer at the end (truncated?)"
	}
	sum := sha256.Sum256(body)
	if want := trailer[len(trailerPrefix) : len(trailer)-2]; hex.EncodeToString(sum[:]) != want {
		return "body does not match the SHA-256 in the trailer"
	}
	return ""
}

func TestCheckMessageAcceptsCompleteAndRejectsDamagedMessages(t *testing.T) {
	msg := testMessage(testID)
	if len(msg) < 64<<10 || len(msg) > 1<<20 {
		t.Errorf("test message is %d bytes, want 64 KiB to 1 MiB", len(msg))
	}
	if !bytes.Equal(msg, testMessage(testID)) {
		t.Error("testMessage is not deterministic")
	}
	if reason := checkMessage(msg); reason != "" {
		t.Errorf("complete message rejected: %s", reason)
	}
	flipped := bytes.Clone(msg)
	flipped[100] ^= 1
	damaged := map[string][]byte{
		"empty":          nil,
		"half":           msg[:len(msg)/2],
		"missing a byte": msg[:len(msg)-1],
		"flipped bit":    flipped,
		"zero-filled":    make([]byte, len(msg)),
	}
	for name, data := range damaged {
		if checkMessage(data) == "" {
			t.Errorf("%s message accepted", name)
		}
	}
}

// slowReader hands out data in chunks with a pause after each, so that a
// kill lands while Write is copying. Once past the middle it calls mid and
// pauses longer.
type slowReader struct {
	data  []byte
	off   int
	chunk int
	pause time.Duration
	mid   func()
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.off >= len(r.data) {
		return 0, io.EOF
	}
	if r.mid != nil && r.off >= len(r.data)/2 {
		r.mid()
		r.mid = nil
		time.Sleep(50 * time.Millisecond)
	} else if r.off > 0 {
		time.Sleep(r.pause)
	}
	n := copy(p[:min(len(p), r.chunk)], r.data[r.off:])
	r.off += n
	return n, nil
}

// TestHelperWriter is the child process of
// TestKill9LeavesNoHalfFileUnderFinalName: it writes test messages until it
// is killed (or, if nobody kills it, for at most 30 seconds), printing
// "MID" half-way through each message and "DONE <rel>" after each
// successful Write.
func TestHelperWriter(t *testing.T) {
	dir := os.Getenv(killHelperEnv)
	if dir == "" {
		t.Skip("helper process for TestKill9LeavesNoHalfFileUnderFinalName; runs only when re-executed by it")
	}
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; i < 1000 && time.Now().Before(deadline); i++ {
		id := NewID()
		rel, err := AccountPath("example.com", "user", id)
		if i%3 == 2 {
			rel, err = QueuePath(id)
		}
		if err != nil {
			t.Fatal(err)
		}
		r := &slowReader{data: testMessage(id), chunk: 16 << 10, pause: time.Millisecond, mid: func() {
			fmt.Println("MID")
		}}
		if _, err := s.Write(rel, r); err != nil {
			t.Fatal(err)
		}
		fmt.Println("DONE", rel)
	}
}

func TestKill9LeavesNoHalfFileUnderFinalName(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("skipped on Windows: there is no SIGKILL (Process.Kill is TerminateProcess) and no directory fsync, so this test of the Unix crash guarantees does not apply")
	}
	if testing.Short() {
		t.Skip("starts and kills child processes; skipped in -short mode")
	}
	dir := t.TempDir()
	// With O_TMPFILE a killed write leaves no temporary file at all.
	named := writesNamedTemporaryFiles(t, t.TempDir())
	const rounds = 5
	swept := 0
	var written []string
	for round := range rounds {
		done, temps := killWriterRound(t, dir, round)
		written = append(written, done...)

		complete := 0
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || isTempName(d.Name()) {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if !strings.HasSuffix(p, ".eml") {
				t.Errorf("round %d: unexpected file %s", round, p)
			} else if reason := checkMessage(data); reason != "" {
				t.Errorf("round %d: half-written file under its final name %s: %s", round, p, reason)
			} else {
				complete++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if complete < len(written) {
			t.Errorf("round %d: %d complete messages on disk, but %d writes reported success", round, complete, len(written))
		}
		if complete == 0 {
			t.Errorf("round %d: no message completed", round)
		}

		// What a restarted server does first.
		s, err := New(dir)
		if err != nil {
			t.Fatal(err)
		}
		n, err := s.SweepTemporary()
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if n != temps {
			t.Errorf("round %d: SweepTemporary removed %d, want the %d temporary files left by the kill", round, n, temps)
		}
		swept += n
		assertNoTempFiles(t, dir)
		t.Logf("round %d: %d complete messages, %d temporary files swept", round, complete, n)
	}
	for _, rel := range written {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
			t.Errorf("message reported written is missing: %v", err)
		}
	}
	if named && swept == 0 {
		t.Errorf("no kill landed in the middle of a write in %d rounds", rounds)
	}
	if !named && swept != 0 {
		t.Errorf("writes with O_TMPFILE left %d temporary files", swept)
	}
}

// killWriterRound starts TestHelperWriter on dir, kills it, and returns
// the paths it reported written and the number of temporary files left.
// Even rounds kill half-way through a message; odd rounds after a varying
// delay, wherever the writer happens to be.
func killWriterRound(t *testing.T, dir string, round int) (done []string, temps int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), killHelperEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	killAfter := 1 + round/2 // messages completed before the kill
	var other []string
	var timer <-chan time.Time
	timeout := time.After(30 * time.Second)
	killed := false
	kill := func() {
		if !killed {
			killed = true
			if err := cmd.Process.Kill(); err != nil {
				t.Errorf("kill: %v", err)
			}
		}
	}
loop:
	for {
		select {
		case line, ok := <-lines:
			switch {
			case !ok:
				break loop
			case strings.HasPrefix(line, "DONE "):
				done = append(done, strings.TrimPrefix(line, "DONE "))
				if round%2 == 1 && len(done) == killAfter {
					timer = time.After(time.Duration(5+round*13) * time.Millisecond)
				}
			case line == "MID":
				if round%2 == 0 && len(done) >= killAfter {
					kill()
				}
			default:
				other = append(other, line)
			}
		case <-timer:
			kill()
		case <-timeout:
			kill()
			t.Errorf("round %d: writer not killed within 30s", round)
			timeout = nil
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("round %d: writer exited by itself (%v) before it was killed:\n%s\n%s", round, err, strings.Join(other, "\n"), stderr.String())
	}
	if cmd.ProcessState.ExitCode() != -1 {
		t.Fatalf("round %d: writer was not terminated by the signal: %v", round, cmd.ProcessState)
	}

	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && isTempName(d.Name()) {
			temps++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return done, temps
}
