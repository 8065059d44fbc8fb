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

// The crash test's other accounts: the envelope sender of every message,
// who receives the bounces, and an account over its maximum size, to
// which delivery always fails.
const (
	crashSender = "sender@example.com"
	crashFull   = "full@example.com"
)

const crashNode = "crash-node"

// crashMessage is the message with the given token: its recipients (at
// least one local account, sometimes an external address, sometimes the
// full account too) and its bytes, all determined by the token, so the
// test can check any message it finds in a mailbox, acknowledged or not.
func crashMessage(token string) (locals []string, external, full bool, body []byte) {
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
	full = (sum/28)%3 == 0

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
	return locals, external, full, b.Bytes()
}

// crashToken reads the token from a message: a delivered one, or a bounce,
// which holds the undelivered message's header section.
func crashToken(body string) string {
	_, rest, ok := strings.Cut(body, "\nX-Crash-Token: ")
	if !ok {
		return ""
	}
	token, _, _ := strings.Cut(rest, "\r\n")
	return token
}

// TestHelperAcceptAndDeliver is the child process of
// TestKill9NeverLosesNorDuplicatesAcceptedMessages: with the queue's
// workers running, it accepts messages in a loop until it is killed (or,
// if nobody kills it, for at most 30 seconds), printing "ACCEPTED <token>
// <queue id>" once Accept has returned — when mailwrightd would answer
// 250 — and "WRITTEN", "MAILBOX_FILE" and "BOUNCE_WRITTEN" at the moments
// a crash is most interesting, pausing briefly there so that a kill lands
// in them.
func TestHelperAcceptAndDeliver(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process for TestKill9NeverLosesNorDuplicatesAcceptedMessages; runs only when re-executed by it")
	}
	round := os.Getenv(crashRoundEnv)
	st := openStore(t, dir)
	ctx := context.Background()
	ids := map[string]int64{}
	for _, local := range append(crashAccounts, "full") {
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
	testHookAfterMailboxFile = func(string) {
		fmt.Println("MAILBOX_FILE")
		time.Sleep(20 * time.Millisecond)
	}
	testHookAfterBounceWrite = func(string) {
		fmt.Println("BOUNCE_WRITTEN")
		time.Sleep(20 * time.Millisecond)
	}
	q := New(st, Options{Workers: 3, Worker: crashNode, Log: slog.New(slog.DiscardHandler), OrphanGrace: time.Nanosecond})
	go q.Run(ctx)

	deadline := time.Now().Add(30 * time.Second)
	for i := 0; i < 1000 && time.Now().Before(deadline); i++ {
		token := fmt.Sprintf("r%s-m%d", round, i)
		locals, external, full, body := crashMessage(token)
		var rcpts []Recipient
		for _, local := range locals {
			rcpts = append(rcpts, Recipient{Address: local + "@example.com", OriginalAddress: local + "@example.com", AccountID: ids[local]})
		}
		if external {
			rcpts = append(rcpts, Recipient{Address: "friend@example.net", OriginalAddress: "friend@example.net"})
		}
		if full {
			rcpts = append(rcpts, Recipient{Address: crashFull, OriginalAddress: crashFull, AccountID: ids["full"]})
		}
		id, _, err := q.Accept(ctx, crashSender, rcpts, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println("ACCEPTED", token, id)
	}
}

// Kill -9 at the moments that matter, restart, and check the promise of a
// 250: every message whose Accept returned is in each of its recipients'
// mailboxes exactly once, byte for byte after the Return-Path header;
// nothing is there twice; the sender has exactly one bounce for each such
// message to the full account; and once the queue has drained no queue
// file or row, and no mailbox file without its row, is left.
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
	if _, err := st.CreateAccount(ctx, store.Account{Address: crashSender, Active: true}, "secret"); err != nil {
		t.Fatal(err)
	}
	fillAccount(t, st, crashFull, 1)
	st.Close()

	const rounds = 8
	accepted := map[string]bool{} // tokens whose Accept returned
	pendingLinks, orphanFiles, bounceKills := 0, 0, 0
	for round := range rounds {
		tokens, atBounce := killAcceptRound(t, dir, round)
		if atBounce {
			bounceKills++
		}
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
		t.Logf("round %d: %d messages acknowledged before the kill; after it %d mailbox files awaited their row, %d queue files had no row",
			round, len(tokens), links, orphans)
		st.Close()
	}
	if pendingLinks == 0 {
		t.Error("no kill landed between a mailbox file's write and its commit: the reuse of the file was not exercised")
	}
	if bounceKills == 0 {
		t.Error("no kill landed between a bounce's write and its commit")
	}
	if orphanFiles == 0 {
		t.Error("no kill landed between a queue file's write and its commit: the removal of orphans was not exercised")
	}
}

// killAcceptRound runs TestHelperAcceptAndDeliver on dir, kills it with
// SIGKILL and returns the tokens it acknowledged, and whether the kill
// came while a bounce awaited its commit. After a few acknowledged
// messages, round 0, 4, ... kill it while a mailbox file awaits its
// commit, round 1, 5, ... while a queue file awaits its row, round 2, 6,
// ... after a random delay, wherever the child happens to be, and round
// 3, 7, ... while a bounce awaits the commit that queues it.
func killAcceptRound(t *testing.T, dir string, round int) (tokens []string, atBounce bool) {
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

	var other []string
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
				if round%4 == 2 && len(tokens) == warm {
					timer = time.After(time.Duration(rand.IntN(150)) * time.Millisecond)
				}
			case line == "MAILBOX_FILE":
				if round%4 == 0 && len(tokens) >= warm {
					kill()
				}
			case line == "WRITTEN":
				if round%4 == 1 && len(tokens) >= warm {
					kill()
				}
			case line == "BOUNCE_WRITTEN":
				if round%4 == 3 && len(tokens) >= warm && !killed {
					kill()
					atBounce = true
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
	return tokens, atBounce
}

// fillAccount creates the account address with a maximum size of sizeMB
// and a stored message that takes all of it, so that every delivery to
// it fails with "Inbox is full".
func fillAccount(t *testing.T, st *store.Store, address string, sizeMB int) store.Account {
	t.Helper()
	a, err := st.CreateAccount(context.Background(), store.Account{Address: address, Active: true, MaxSizeMB: sizeMB}, "secret")
	if err != nil {
		t.Fatal(err)
	}
	fillInbox(t, st, a, sizeMB<<20)
	return a
}

// crashLeftovers counts what a kill left for the restart to settle:
// mailbox files without their row (a mailbox file's write before its
// commit) and queue files without a row (a write before its commit).
func crashLeftovers(t *testing.T, st *store.Store) (links, orphans int) {
	t.Helper()
	ctx := context.Background()
	stored := map[string]bool{}
	for _, address := range crashAddresses() {
		a, err := st.AccountByAddress(ctx, address)
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

// crashAddresses are the addresses of every account of the crash test.
func crashAddresses() []string {
	out := []string{crashSender, crashFull}
	for _, local := range crashAccounts {
		out = append(out, local+"@example.com")
	}
	return out
}

// checkMailboxes checks every mailbox against the tokens acknowledged so
// far: each acknowledged message once in each of its recipients' INBOX,
// no message twice in one, every message byte for byte what was sent
// after its Return-Path, one bounce to the sender for each acknowledged
// message to the full account and none twice, nothing delivered to the
// full account, UIDs 1..n, no mailbox file without its row, and no
// recipient row left.
func checkMailboxes(t *testing.T, st *store.Store, accepted map[string]bool, round int) {
	t.Helper()
	ctx := context.Background()
	var accounts []store.Account
	for _, address := range crashAddresses() {
		a, err := st.AccountByAddress(ctx, address)
		if err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, a)
	}
	found := map[string][]string{} // token -> local parts holding it
	for _, a := range accounts[2:] {
		local, _, _ := strings.Cut(a.Address, "@")
		_, contents := inbox(t, st, a.ID)
		for _, text := range contents {
			token := crashToken(text)
			locals, _, _, want := crashMessage(token)
			switch {
			case token == "":
				t.Errorf("round %d: %s holds a message without a token", round, local)
			case text != "Return-Path: <"+crashSender+">\r\n"+string(want):
				t.Errorf("round %d: %s's copy of %s differs from what was sent", round, local, token)
			case !slices.Contains(locals, local):
				t.Errorf("round %d: %s holds %s, which was not addressed to it", round, local, token)
			}
			found[token] = append(found[token], local)
		}
	}
	if msgs, _ := inbox(t, st, accounts[1].ID); len(msgs) != 1 {
		t.Errorf("round %d: the full account holds %d messages, want only the one that fills it", round, len(msgs))
	}
	bounced := map[string]int{} // token -> bounces the sender holds
	_, bounces := inbox(t, st, accounts[0].ID)
	for _, text := range bounces {
		token := crashToken(text)
		_, _, full, _ := crashMessage(token)
		switch {
		case token == "":
			t.Errorf("round %d: the sender holds a message without a token", round)
		case !strings.HasPrefix(text, "Return-Path: <>\r\n") || !strings.Contains(text, "Final-Recipient: rfc822; "+crashFull+"\r\n"):
			t.Errorf("round %d: the sender's message for %s is not a bounce for %s:\n%s", round, token, crashFull, text)
		case !full:
			t.Errorf("round %d: the sender holds a bounce for %s, which was not sent to %s", round, token, crashFull)
		}
		bounced[token]++
	}
	for token, n := range bounced {
		if n > 1 {
			t.Errorf("round %d: the sender holds %d bounces for %s", round, n, token)
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
		locals, _, full, _ := crashMessage(token)
		for _, local := range locals {
			if countOf(found[token], local) != 1 {
				t.Errorf("round %d: acknowledged message %s is not in %s's INBOX", round, token, local)
			}
		}
		if full && bounced[token] != 1 {
			t.Errorf("round %d: acknowledged message %s to %s has %d bounces, want 1", round, token, crashFull, bounced[token])
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
