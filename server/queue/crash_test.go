package queue

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/messagefile"
)

// The child process of TestKill9NeverLosesNorDuplicatesAcceptedMessages
// runs when these are set.
const (
	crashDirEnv   = "MAILWRIGHT_QUEUE_CRASH_DIR"
	crashRoundEnv = "MAILWRIGHT_QUEUE_CRASH_ROUND"
)

// crashAccounts are the local parts of the accounts the crash test
// delivers to.
var crashAccounts = []string{"alice", "bob", "carol"}

const crashNode = "crash-node"

// crashMessage is the message with the given token: its recipients (at
// least one local account, sometimes an external address too) and its
// bytes, both determined by the token, so the test can check any message
// it finds in a mailbox, acknowledged or not.
func crashMessage(token string) (locals []string, external bool, body []byte) {
	h := fnv.New64a()
	h.Write([]byte(token))
	sum := h.Sum64()
	mask := sum%7 + 1 // 1..7: a non-empty subset of the three accounts
	for i, local := range crashAccounts {
		if mask&(1<<i) != 0 {
			locals = append(locals, local)
		}
	}
	external = (sum/7)%4 == 0

	seed := sha256.Sum256([]byte(token))
	rng := rand.New(rand.NewChaCha8(seed))
	size := 200 + rng.IntN(48<<10)
	var b bytes.Buffer
	fmt.Fprintf(&b, "X-Crash-Token: %s\r\nFrom: sender@example.org\r\nSubject: crash test\r\n\r\n", token)
	line := make([]byte, 38)
	for b.Len() < size {
		for i := range line {
			line[i] = byte(rng.Uint32())
		}
		b.WriteString(hex.EncodeToString(line))
		b.WriteString("\r\n")
	}
	return locals, external, b.Bytes()
}

// crashToken reads the token from a delivered message.
func crashToken(body string) string {
	first, _, _ := strings.Cut(body, "\r\n")
	token, ok := strings.CutPrefix(first, "X-Crash-Token: ")
	if !ok {
		return ""
	}
	return token
}

// TestHelperAcceptAndDeliver is the child process of
// TestKill9NeverLosesNorDuplicatesAcceptedMessages: with the queue's
// workers running, it accepts messages in a loop until it is killed (or,
// if nobody kills it, for at most 30 seconds), printing "ACCEPTED <token>
// <queue id>" once Accept has returned — when mailwrightd would answer
// 250 — and "WRITTEN" and "LINKED" at the two moments a crash is most
// interesting, pausing briefly there so that a kill lands in them.
func TestHelperAcceptAndDeliver(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process for TestKill9NeverLosesNorDuplicatesAcceptedMessages; runs only when re-executed by it")
	}
	round := os.Getenv(crashRoundEnv)
	st := openStore(t, dir)
	ctx := context.Background()
	ids := map[string]int64{}
	for _, local := range crashAccounts {
		a, err := st.AccountByAddress(ctx, local+"@example.com")
		if err != nil {
			t.Fatal(err)
		}
		ids[local] = a.ID
	}
	testHookAfterWrite = func(string) {
		fmt.Println("WRITTEN")
		time.Sleep(20 * time.Millisecond)
	}
	testHookAfterLink = func(string) {
		fmt.Println("LINKED")
		time.Sleep(20 * time.Millisecond)
	}
	q := New(st, Options{Workers: 3, Worker: crashNode, Log: slog.New(slog.DiscardHandler), OrphanGrace: time.Nanosecond})
	go q.Run(ctx)

	deadline := time.Now().Add(30 * time.Second)
	for i := 0; i < 1000 && time.Now().Before(deadline); i++ {
		token := fmt.Sprintf("r%s-m%d", round, i)
		locals, external, body := crashMessage(token)
		var rcpts []Recipient
		for _, local := range locals {
			rcpts = append(rcpts, Recipient{Address: local + "@example.com", OriginalAddress: local + "@example.com", AccountID: ids[local]})
		}
		if external {
			rcpts = append(rcpts, Recipient{Address: "friend@example.net", OriginalAddress: "friend@example.net"})
		}
		id, _, err := q.Accept(ctx, "sender@example.org", rcpts, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println("ACCEPTED", token, id)
	}
}

// Kill -9 at the moments that matter, restart, and check the promise of a
// 250: every message whose Accept returned is in each of its recipients'
// mailboxes exactly once, byte for byte; nothing is there twice; and once
// the queue has drained no queue file or row, and no mailbox file without
// its row, is left.
func TestKill9NeverLosesNorDuplicatesAcceptedMessages(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("skipped on Windows: there is no SIGKILL (Process.Kill is TerminateProcess) and no directory fsync")
	}
	if testing.Short() {
		t.Skip("starts and kills child processes; skipped in -short mode")
	}
	dir := t.TempDir()
	st := openStore(t, dir)
	ctx := context.Background()
	if _, err := st.CreateDomain(ctx, store.Domain{Name: "example.com", Active: true}); err != nil {
		t.Fatal(err)
	}
	for _, local := range crashAccounts {
		if _, err := st.CreateAccount(ctx, store.Account{Address: local + "@example.com", Active: true}, "secret"); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	const rounds = 6
	accepted := map[string]bool{} // tokens whose Accept returned
	pendingLinks, orphanFiles := 0, 0
	for round := range rounds {
		tokens := killAcceptRound(t, dir, round)
		for _, tok := range tokens {
			accepted[tok] = true
		}

		// What mailwrightd does at start: open the store, sweep temporary
		// files, run the queue (which reconciles first).
		st := openStore(t, dir)
		if _, err := st.Files().SweepTemporary(); err != nil {
			t.Fatal(err)
		}
		links, orphans := crashLeftovers(t, st)
		pendingLinks += links
		orphanFiles += orphans
		var logs logBuffer
		q := New(st, Options{Workers: 3, Worker: crashNode, Log: logs.logger(), OrphanGrace: time.Nanosecond})
		r := start(t, q)
		waitDrained(t, st, 30*time.Second)
		r.stop(t)

		checkMailboxes(t, st, accepted, round)
		if strings.Contains(logs.String(), "level=ERROR") {
			t.Errorf("round %d: errors after the restart:\n%s", round, logs.String())
		}
		t.Logf("round %d: %d messages acknowledged before the kill; after it %d mailbox links awaited their row, %d queue files had no row",
			round, len(tokens), links, orphans)
		st.Close()
	}
	if pendingLinks == 0 {
		t.Error("no kill landed between a mailbox link and its commit: the reuse of the link was not exercised")
	}
	if orphanFiles == 0 {
		t.Error("no kill landed between a queue file's write and its commit: the removal of orphans was not exercised")
	}
}

// killAcceptRound runs TestHelperAcceptAndDeliver on dir, kills it with
// SIGKILL and returns the tokens it acknowledged. After a few
// acknowledged messages, round 0, 3, ... kill it while a mailbox link
// awaits its commit, round 1, 4, ... while a queue file awaits its row,
// and the others after a random delay, wherever the child happens to be.
func killAcceptRound(t *testing.T, dir string, round int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperAcceptAndDeliver$", "-test.count=1", "-test.timeout=60s")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashRoundEnv+"="+strconv.Itoa(round))
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

	var tokens, other []string
	killed := false
	kill := func() {
		if !killed {
			killed = true
			if err := cmd.Process.Kill(); err != nil {
				t.Errorf("kill: %v", err)
			}
		}
	}
	warm := 2 + round // acknowledged messages before the kill may come
	var timer <-chan time.Time
	timeout := time.After(30 * time.Second)
loop:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				break loop
			}
			switch {
			case strings.HasPrefix(line, "ACCEPTED "):
				f := strings.Fields(line)
				if len(f) == 3 {
					tokens = append(tokens, f[1])
				}
				if round%3 == 2 && len(tokens) == warm {
					timer = time.After(time.Duration(rand.IntN(150)) * time.Millisecond)
				}
			case line == "LINKED":
				if round%3 == 0 && len(tokens) >= warm {
					kill()
				}
			case line == "WRITTEN":
				if round%3 == 1 && len(tokens) >= warm {
					kill()
				}
			default:
				other = append(other, line)
			}
		case <-timer:
			kill()
		case <-timeout:
			kill()
			t.Errorf("round %d: child not killed within 30s", round)
			timeout = nil
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("round %d: child exited by itself (%v) before it was killed:\n%s\n%s", round, err, strings.Join(other, "\n"), stderr.String())
	}
	if cmd.ProcessState.ExitCode() != -1 {
		t.Fatalf("round %d: child was not terminated by the signal: %v", round, cmd.ProcessState)
	}
	return tokens
}

// crashLeftovers counts what a kill left for the restart to settle:
// mailbox files without their row (a link before its commit) and queue
// files without a row (a write before its commit).
func crashLeftovers(t *testing.T, st *store.Store) (links, orphans int) {
	t.Helper()
	ctx := context.Background()
	stored := map[string]bool{}
	for _, local := range crashAccounts {
		a, err := st.AccountByAddress(ctx, local+"@example.com")
		if err != nil {
			t.Fatal(err)
		}
		f, err := st.Inbox(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := st.FolderMessages(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			stored[m.Path] = true
		}
	}
	for _, rel := range filesUnder(t, filepath.Join(st.Files().Root(), "example.com")) {
		if !stored["example.com/"+rel] {
			links++
		}
	}
	rows, err := st.QueuedMessages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	queued := map[string]bool{}
	for _, m := range rows {
		queued[m.Path] = true
	}
	for _, rel := range filesUnder(t, filepath.Join(st.Files().Root(), messagefile.QueueDir)) {
		if !queued[messagefile.QueueDir+"/"+rel] {
			orphans++
		}
	}
	return links, orphans
}

// checkMailboxes checks every mailbox against the tokens acknowledged so
// far: each acknowledged message once in each of its recipients' INBOX,
// no message twice in one, every message byte for byte what was sent, UIDs
// 1..n, no mailbox file without its row, and no recipient row left.
func checkMailboxes(t *testing.T, st *store.Store, accepted map[string]bool, round int) {
	t.Helper()
	ctx := context.Background()
	var accounts []store.Account
	found := map[string][]string{} // token -> local parts holding it
	for _, local := range crashAccounts {
		a, err := st.AccountByAddress(ctx, local+"@example.com")
		if err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, a)
		_, contents := inbox(t, st, a.ID)
		for _, text := range contents {
			token := crashToken(text)
			locals, _, want := crashMessage(token)
			switch {
			case token == "":
				t.Errorf("round %d: %s holds a message without a token", round, local)
			case text != string(want):
				t.Errorf("round %d: %s's copy of %s differs from what was sent", round, local, token)
			case !slices.Contains(locals, local):
				t.Errorf("round %d: %s holds %s, which was not addressed to it", round, local, token)
			}
			found[token] = append(found[token], local)
		}
	}
	for token, holders := range found {
		for _, local := range crashAccounts {
			if n := countOf(holders, local); n > 1 {
				t.Errorf("round %d: %s holds %s %d times", round, local, token, n)
			}
		}
	}
	for token := range accepted {
		locals, _, _ := crashMessage(token)
		for _, local := range locals {
			if countOf(found[token], local) != 1 {
				t.Errorf("round %d: acknowledged message %s is not in %s's INBOX", round, token, local)
			}
		}
	}
	assertNoStrayMailboxFiles(t, st, accounts)
	var recipients int
	if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM message_recipients").Scan(&recipients); err != nil || recipients != 0 {
		t.Errorf("round %d: %d recipient rows left (%v)", round, recipients, err)
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}
