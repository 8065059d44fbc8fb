package imap

import (
	"crypto/tls"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/store"
)

// A real third-party client, go-imap v2's imapclient, against the server:
// what a mail client does first (log in, list, create, status, append)
// must parse on its side.

func TestGoIMAPClientSession(t *testing.T) {
	ts := startServer(t)
	ts.deliver("user@example.com", "Subject: delivered\r\n\r\nhello\r\n")
	c, err := imapclient.DialInsecure(ts.addrs[store.SecurityNone], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("user@example.com", "secret").Wait(); err != nil {
		t.Fatal(err)
	}
	for _, cap := range []imap.Cap{imap.CapIMAP4rev1, imap.CapUIDPlus, imap.CapMove, imap.CapNamespace, imap.CapIdle, imap.CapLiteralPlus} {
		if !c.Caps().Has(cap) {
			t.Errorf("capability %s missing after login: %v", cap, c.Caps())
		}
	}

	if err := c.Create("Work.Reports", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("Work.Reports", nil).Wait(); err == nil {
		t.Fatal("creating an existing mailbox succeeded")
	}
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range list {
		if m.Delim != '.' {
			t.Errorf("%s has delimiter %q", m.Mailbox, m.Delim)
		}
		names = append(names, m.Mailbox)
		if m.Mailbox == "Work" && !slices.Contains(m.Attrs, imap.MailboxAttrHasChildren) {
			t.Errorf("Work lacks \\HasChildren: %v", m.Attrs)
		}
		if m.Mailbox == "#Public" && !slices.Contains(m.Attrs, imap.MailboxAttrNoSelect) {
			t.Errorf("#Public lacks \\Noselect: %v", m.Attrs)
		}
	}
	if want := []string{"INBOX", "Drafts", "Junk", "Sent", "Trash", "Work", "Work.Reports", "#Public"}; !slices.Equal(names, want) {
		t.Fatalf("LIST gave %q, want %q", names, want)
	}

	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true, NumUnseen: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	inbox := ts.inbox("user@example.com")
	if st.NumMessages == nil || *st.NumMessages != 1 || st.NumUnseen == nil || *st.NumUnseen != 1 || st.UIDNext != 2 || st.UIDValidity != inbox.UIDValidity {
		t.Fatalf("STATUS INBOX: %+v", st)
	}

	msg := "Subject: report\r\n\r\nfigures\r\n"
	date := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	app := c.Append("Work.Reports", int64(len(msg)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}, Time: date})
	if _, err := app.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	appended, err := app.Wait()
	if err != nil {
		t.Fatal(err)
	}
	reports := ts.folder(ts.users["user@example.com"].ID, "Work", "Reports")
	if appended.UID != 1 || appended.UIDValidity != reports.UIDValidity {
		t.Fatalf("APPENDUID: %+v, folder %+v", appended, reports)
	}
	st, err = c.Status("Work.Reports", &imap.StatusOptions{NumMessages: true, NumUnseen: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if *st.NumMessages != 1 || *st.NumUnseen != 0 {
		t.Fatalf("STATUS after APPEND: messages %d unseen %d", *st.NumMessages, *st.NumUnseen)
	}

	ns, err := c.Namespace().Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(ns.Personal) != 1 || ns.Personal[0].Prefix != "" || ns.Personal[0].Delim != '.' || len(ns.Other) != 0 ||
		len(ns.Shared) != 1 || ns.Shared[0].Prefix != "#Public." {
		t.Fatalf("NAMESPACE: %+v", ns)
	}
	quota, err := c.GetQuotaRoot("INBOX").Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(quota) != 0 { // no maximum size: no quota root
		t.Fatalf("GETQUOTAROOT: %+v", quota)
	}
	rights, err := c.MyRights("INBOX").Wait()
	if err != nil {
		t.Fatal(err)
	}
	if string(rights.Rights) != store.AllRights {
		t.Fatalf("MYRIGHTS INBOX: %+v", rights)
	}
	if err := c.Rename("Work", "Job", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("Job.Reports").Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Logout().Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestGoIMAPClientTLSAndAuthenticate(t *testing.T) {
	ts := startServer(t)
	opts := &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}}
	t.Run("starttls_then_authenticate_plain", func(t *testing.T) {
		c, err := imapclient.DialStartTLS(ts.addrs[store.SecuritySTARTTLSRequired], opts)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Authenticate(sasl.NewPlainClient("", "user@example.com", "secret")); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		if err := c.Logout().Wait(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("implicit_tls_wrong_password", func(t *testing.T) {
		c, err := imapclient.DialTLS(ts.addrs[store.SecurityTLS], opts)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		err = c.Login("user@example.com", "wrong").Wait()
		if err == nil || !strings.Contains(err.Error(), "Invalid user name or password") {
			t.Fatalf("login with a wrong password: %v", err)
		}
		var imapErr *imap.Error
		if !errors.As(err, &imapErr) || imapErr.Code != imap.ResponseCodeAuthenticationFailed {
			t.Fatalf("the failure is not AUTHENTICATIONFAILED: %#v", err)
		}
	})
}
