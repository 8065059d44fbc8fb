package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestRemoveQueuedDeletesTheRowsAndReturnsThePath(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		keep := mustEnqueue(t, s)
		gone := mustEnqueue(t, s, QueuedRecipient{Address: "a@example.net"}, QueuedRecipient{Address: "b@example.net"})
		path, err := s.RemoveQueued(ctx, gone.ID)
		if err != nil {
			t.Fatal(err)
		}
		if path != gone.Path {
			t.Errorf("path %q, want %q", path, gone.Path)
		}
		if _, err := s.QueuedMessage(ctx, gone.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("the removed message is still there: %v", err)
		}
		if n, _ := s.count(ctx, s.db, "SELECT COUNT(*) FROM message_recipients WHERE message_id = ?", gone.ID); n != 0 {
			t.Errorf("%d recipient rows left", n)
		}
		if _, err := s.QueuedMessage(ctx, keep.ID); err != nil {
			t.Errorf("the other message went too: %v", err)
		}
		if _, err := s.RemoveQueued(ctx, gone.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("removing twice: %v, want ErrNotFound", err)
		}
	})
}

func TestRemoveQueuedWhileLeasedMakesTheWorkersLeaseLost(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		mustEnqueue(t, s)
		claimed, err := s.ClaimQueued(ctx, "node/1", 1, time.Minute)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim: %v, %d messages", err, len(claimed))
		}
		m := claimed[0]
		if _, err := s.RemoveQueued(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.ReleaseQueued(ctx, m); !errors.Is(err, ErrLeaseLost) {
			t.Errorf("release after removal: %v, want ErrLeaseLost", err)
		}
		if err := s.FailRecipient(ctx, m.ID, m.Recipients[0].ID, "550 gone"); err != nil {
			t.Errorf("fail recipient after removal: %v", err)
		}
		if _, err := s.FinishQueued(ctx, m.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("finish after removal: %v, want ErrNotFound", err)
		}
	})
}

func TestClearQueueRemovesEveryQueuedMessageOnly(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := mustLocalAccount(t, s)
		inbox, err := s.Inbox(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddToFolder(ctx, StoredMessage{AccountID: a.ID, FolderID: inbox.ID, Path: "example.com/user/ab/stored.eml", Size: 3}); err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for range 3 {
			want[mustEnqueue(t, s).Path] = true
		}
		paths, err := s.ClearQueue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(paths) != len(want) {
			t.Fatalf("paths %v, want %d", paths, len(want))
		}
		for _, p := range paths {
			if !want[p] {
				t.Errorf("unexpected path %q", p)
			}
		}
		if n, err := s.QueueLength(ctx); err != nil || n != 0 {
			t.Errorf("queue length %d (%v) after clearing", n, err)
		}
		if n, _ := s.count(ctx, s.db, "SELECT COUNT(*) FROM messages WHERE state = ?", MessageStored); n != 1 {
			t.Errorf("%d stored messages, want the mailbox's 1 untouched", n)
		}
		if paths, err := s.ClearQueue(ctx); err != nil || len(paths) != 0 {
			t.Errorf("clearing an empty queue: %v, %v", paths, err)
		}
	})
}

func TestSetNextTryMakesAMessageDue(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		clock := fakeClock(s)
		m, err := s.Enqueue(ctx, QueuedMessage{Path: queuePath(t), From: "a@example.org", NextTryAt: clock.Unix() + 3600,
			Recipients: []QueuedRecipient{{Address: "b@example.net"}}})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ClaimQueued(ctx, "w", 1, time.Minute); len(got) != 0 {
			t.Fatal("a message due in an hour was claimed")
		}
		if err := s.SetNextTry(ctx, m.ID, clock.Unix()); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ClaimQueued(ctx, "w", 1, time.Minute); len(got) != 1 {
			t.Error("the message is not due after SetNextTry")
		}
		if err := s.SetNextTry(ctx, m.ID+1000, clock.Unix()); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown id: %v, want ErrNotFound", err)
		}
	})
}

func TestQueuedRecipientsGroupsByMessage(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		one := mustEnqueue(t, s, QueuedRecipient{Address: "a@example.net"}, QueuedRecipient{Address: "b@example.net"})
		two := mustEnqueue(t, s, QueuedRecipient{Address: "c@example.net"})
		got, err := s.QueuedRecipients(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || len(got[one.ID]) != 2 || len(got[two.ID]) != 1 {
			t.Fatalf("recipients %+v", got)
		}
		if got[one.ID][0].Address != "a@example.net" || got[one.ID][1].Address != "b@example.net" || got[two.ID][0].Address != "c@example.net" {
			t.Errorf("recipients %+v", got)
		}
		if n, err := s.QueueLength(ctx); err != nil || n != 2 {
			t.Errorf("queue length %d (%v), want 2", n, err)
		}
	})
}

func TestQueuePageReturnsOnePageWithItsRecipients(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var ids []int64
		for i := range 5 {
			m := mustEnqueue(t, s, QueuedRecipient{Address: fmt.Sprintf("r%d@example.net", i)}, QueuedRecipient{Address: fmt.Sprintf("s%d@example.net", i)})
			ids = append(ids, m.ID)
		}
		page, total, err := s.QueuePage(ctx, 2, 2)
		if err != nil {
			t.Fatal(err)
		}
		if total != 5 || len(page) != 2 || page[0].ID != ids[2] || page[1].ID != ids[3] {
			t.Fatalf("page of 2 at 2: total %d, %+v", total, page)
		}
		for i, m := range page {
			if len(m.Recipients) != 2 || m.Recipients[0].Address != fmt.Sprintf("r%d@example.net", i+2) {
				t.Errorf("message %d recipients %+v", m.ID, m.Recipients)
			}
		}
		if page, total, err := s.QueuePage(ctx, 10, 5); err != nil || total != 5 || len(page) != 0 {
			t.Errorf("past the end: %d messages, total %d, %v", len(page), total, err)
		}
	})
}

func TestSetSettingsIsAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		err := s.SetSettings(ctx, map[string]string{"HostName": "mail.example.com", "SMTPNoOfTries": "many"})
		if v, ok := AsValidation(err); !ok || v.Field != "SMTPNoOfTries" {
			t.Fatalf("error %v, want a validation error on SMTPNoOfTries", err)
		}
		if v, _ := s.Setting(ctx, "HostName"); v != "" {
			t.Errorf("HostName changed to %q by a refused call", v)
		}
		err = s.SetSettings(ctx, map[string]string{"HostName": "mail.example.com", "NoSuchSetting": "1"})
		if v, ok := AsValidation(err); !ok || v.Field != "NoSuchSetting" {
			t.Fatalf("error %v, want a validation error on NoSuchSetting", err)
		}
		values := map[string]string{"HostName": "mail.example.com", "SMTPNoOfTries": "7", "DNSServer": "127.0.0.1:5353"}
		for range 2 { // the second time every value is unchanged
			if err := s.SetSettings(ctx, values); err != nil {
				t.Fatal(err)
			}
		}
		all, err := s.AllSettings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range values {
			if all[name] != want {
				t.Errorf("%s = %q, want %q", name, all[name], want)
			}
		}
	})
}

func TestDNSServerAddress(t *testing.T) {
	for _, tc := range []struct {
		setting, want string
		bad           bool
	}{
		{setting: "", want: ""},
		{setting: "192.0.2.1", want: "192.0.2.1:53"},
		{setting: "192.0.2.1:5353", want: "192.0.2.1:5353"},
		{setting: "::1", want: "[::1]:53"},
		{setting: "[2001:db8::1]:53", want: "[2001:db8::1]:53"},
		{setting: "ns.example.com", want: "ns.example.com:53"},
		{setting: "localhost:53", want: "localhost:53"},
		{setting: "192.0.2.1:0", bad: true},
		{setting: "192.0.2.1:dns", bad: true},
		{setting: "ns example", bad: true},
		{setting: "[::1]", bad: true},
	} {
		t.Run(tc.setting, func(t *testing.T) {
			got, err := DNSServerAddress(tc.setting)
			if tc.bad {
				if v, ok := AsValidation(err); !ok || v.Field != "DNSServer" {
					t.Errorf("got %q, %v; want a validation error on DNSServer", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
