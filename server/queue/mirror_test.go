package queue

import (
	"context"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/store"
)

const mirrorText = "From: someone@example.org\r\nSubject: mirrored\r\n\r\nbody\r\n"

func TestTheMirrorAccountGetsACopyNamingTheOriginalRecipients(t *testing.T) {
	w := newRemoteWorld(t, "alice", "archive")
	alice, archive := w.accounts[0], w.accounts[1]
	w.settings(map[string]string{"MirrorAddress": "Archive@Example.com"})
	sales := rcpt(alice)
	sales.OriginalAddress = "sales@example.com" // an alias of alice's
	w.deliverAll(Options{}, "someone@example.org", []Recipient{sales, external("bob@example.net")}, mirrorText)

	_, copies := inbox(t, w.st, archive.ID)
	want := "Return-Path: <someone@example.org>\r\nDelivered-To: sales@example.com\r\nDelivered-To: bob@example.net\r\n" + mirrorText
	if len(copies) != 1 || copies[0] != want {
		t.Errorf("the mirror account holds %q, want one copy:\n%q", copies, want)
	}
	if _, got := inbox(t, w.st, alice.ID); len(got) != 1 || got[0] != "Return-Path: <someone@example.org>\r\n"+mirrorText {
		t.Errorf("the recipient holds %q, want the message without the mirror's headers", got)
	}
	if got := w.peer.Messages(); len(got) != 1 || got[0].Data != mirrorText {
		t.Errorf("the remote recipient got %+v, want the message as it was", got)
	}
	if log := w.logs.String(); !strings.Contains(log, `msg="message mirrored"`) || !strings.Contains(log, "mirror=Archive@Example.com") {
		t.Errorf("the mirror copy is not logged:\n%s", log)
	}
}

func TestAMessageAlreadyForTheMirrorIsNotMirrored(t *testing.T) {
	w := newRemoteWorld(t, "alice", "archive")
	alice, archive := w.accounts[0], w.accounts[1]
	w.settings(map[string]string{"MirrorAddress": "archive@example.com"})
	// The mirror as the address given at RCPT, in other letters.
	viaRcpt := rcpt(archive)
	viaRcpt.OriginalAddress = "ARCHIVE@example.com"
	w.deliverAll(Options{}, "someone@example.org", []Recipient{rcpt(alice), viaRcpt}, mirrorText)
	if _, got := inbox(t, w.st, archive.ID); len(got) != 1 || strings.Contains(got[0], "Delivered-To") {
		t.Errorf("the mirror account holds %q, want only its own copy", got)
	}
	if strings.Contains(w.logs.String(), "message mirrored") {
		t.Errorf("the message was mirrored:\n%s", w.logs.String())
	}
}

func TestAnInvalidLocalMirrorIsLoggedAndTheMessageStillDelivered(t *testing.T) {
	w := newRemoteWorld(t, "alice")
	alice := w.accounts[0]
	w.settings(map[string]string{"MirrorAddress": "nobody@example.com"})
	w.deliverAll(Options{}, "someone@example.org", []Recipient{rcpt(alice)}, mirrorText)
	if _, got := inbox(t, w.st, alice.ID); len(got) != 1 {
		t.Errorf("the recipient has %d messages, want 1", len(got))
	}
	log := w.logs.String()
	if !strings.Contains(log, `level=ERROR msg="the mirror address cannot receive mail; the message is not mirrored"`) ||
		!strings.Contains(log, "mirror=nobody@example.com") || strings.Contains(log, "message mirrored") {
		t.Errorf("the invalid mirror is not logged as an error, or a copy was made:\n%s", log)
	}
}

func TestAMirrorOnAnotherServerGetsItsCopyThere(t *testing.T) {
	w := newRemoteWorld(t, "alice")
	alice := w.accounts[0]
	w.settings(map[string]string{"MirrorAddress": "archive@example.net"})
	w.deliverAll(Options{}, "someone@example.org", []Recipient{rcpt(alice)}, mirrorText)
	got := w.peer.Messages()
	if len(got) != 1 || got[0].From != "someone@example.org" || len(got[0].To) != 1 || got[0].To[0] != "archive@example.net" ||
		got[0].Data != "Delivered-To: alice@example.com\r\n"+mirrorText {
		t.Errorf("the remote mirror got %+v, want the copy from the original sender with Delivered-To", got)
	}
}

func TestTheMirrorCopyIsQueuedWithTheMessage(t *testing.T) {
	w := newRemoteWorld(t, "alice", "archive")
	w.settings(map[string]string{"MirrorAddress": "archive@example.com"})
	q := w.queue("node", Options{})
	w.accept(q, "someone@example.org", []Recipient{rcpt(w.accounts[0])}, mirrorText)
	rows, err := w.st.QueuedMessages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d messages queued, want the message and its mirror copy", len(rows))
	}
	mirror, err := w.st.QueuedMessage(context.Background(), rows[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	want := store.QueuedRecipient{ID: mirror.Recipients[0].ID, Address: "archive@example.com", OriginalAddress: "archive@example.com", AccountID: w.accounts[1].ID}
	if mirror.From != "someone@example.org" || len(mirror.Recipients) != 1 || mirror.Recipients[0] != want {
		t.Errorf("the mirror copy is from %q to %+v, want from the sender to %+v", mirror.From, mirror.Recipients, want)
	}
}
