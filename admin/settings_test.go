package admin

import (
	"strings"
	"testing"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2/test"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

// serverSettings reads every setting through the RPC, by name.
func serverSettings(t *testing.T, s *Session) map[string]*adminv1.Setting {
	t.Helper()
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := s.Client.Settings.ListSettings(ctx, connect.NewRequest(&adminv1.ListSettingsRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*adminv1.Setting{}
	for _, st := range resp.Msg.GetSettings() {
		out[st.GetName()] = st
	}
	return out
}

func TestSettingsPagesNameSettingsTheServerHas(t *testing.T) {
	srv := startPagesServer(t)
	known := serverSettings(t, srv.Session)
	for id, spec := range settingsPages {
		if _, ok := Pages[id]; !ok {
			t.Errorf("%s has no page registered", id)
		}
		for _, f := range spec.fields {
			if _, ok := known[f.name]; !ok {
				t.Errorf("%s shows %s, which the server does not have", id, f.name)
			}
		}
	}
	w := newPagesWindow(t, newSettingsPage(srv.Session, nil, settingsPages["settings/protocols/imap"]))
	requireShown(t, w, "Hierarchy delimiter")
	for _, text := range shownTexts(w) {
		if strings.Contains(text, "not built") {
			t.Errorf("the IMAP settings page still says %q", text)
		}
	}
}

func TestSMTPSettingsPageSavesAndRefusesOutOfRange(t *testing.T) {
	srv := startPagesServer(t)
	p := newSettingsPage(srv.Session, nil, settingsPages["settings/protocols/smtp"])
	w := newPagesWindow(t, p)
	requireShown(t, w, "Maximum number of simultaneous connections (0 = unlimited)")
	if p.HasUnsavedChanges() {
		t.Fatal("a freshly loaded page has unsaved changes")
	}
	if !p.checks["AllowEmptySender"].Checked {
		t.Fatal("AllowEmptySender does not show its default, on")
	}

	test.Tap(p.checks["AllowEmptySender"])
	p.entries["MaxRecipients"].SetText("")
	test.Type(p.entries["MaxRecipients"], "42")
	if !p.HasUnsavedChanges() {
		t.Fatal("the edits are not unsaved changes")
	}
	test.Tap(p.form.SaveButton)
	if p.HasUnsavedChanges() {
		t.Fatalf("saving failed: %q %v", p.form.Message.Text, shownTexts(w))
	}
	got := serverSettings(t, srv.Session)
	if got["AllowEmptySender"].GetValue() != "0" || got["MaxRecipients"].GetValue() != "42" {
		t.Fatalf("the server has AllowEmptySender=%q MaxRecipients=%q, want 0 and 42",
			got["AllowEmptySender"].GetValue(), got["MaxRecipients"].GetValue())
	}

	// Out of range: checked here, shown beside the setting, nothing sent.
	test.Tap(p.checks["LogSMTPConversations"])
	p.entries["MaxNumberOfInvalidCommands"].SetText("100000")
	test.Tap(p.form.SaveButton)
	if msg := p.form.FieldError("MaxNumberOfInvalidCommands"); msg == "" {
		t.Fatalf("an out-of-range number gave no error beside it; message %q", p.form.Message.Text)
	}
	requireShown(t, w, p.form.FieldError("MaxNumberOfInvalidCommands"))
	if !p.HasUnsavedChanges() {
		t.Fatal("a refused save dropped the edits")
	}
	got = serverSettings(t, srv.Session)
	if got["LogSMTPConversations"].GetValue() != "0" || got["MaxNumberOfInvalidCommands"].GetValue() != "3" {
		t.Fatal("a refused save changed the server's settings")
	}

	// The server's own FieldError is shown beside the setting it names.
	p.form.Discard()
	if p.checks["LogSMTPConversations"].Checked || p.entries["MaxNumberOfInvalidCommands"].Text != "3" {
		t.Fatal("Discard did not put the saved values back")
	}
	p.settings["MaxRecipients"].Max = 1 << 30 // pretend the local range is wider than the server's
	p.entries["MaxRecipients"].SetText("2000000000")
	test.Tap(p.form.SaveButton)
	if p.form.FieldError("MaxRecipients") == "" {
		t.Fatalf("the server's refusal is not shown beside MaxRecipients; message %q", p.form.Message.Text)
	}
	if got := serverSettings(t, srv.Session)["MaxRecipients"].GetValue(); got != "42" {
		t.Fatalf("MaxRecipients is %q after a refused save, want 42", got)
	}
}

func TestServerMessagesPageEditsAMessage(t *testing.T) {
	srv := startPagesServer(t)
	p := newServerMessagesPage(srv.Session, nil)
	w := newPagesWindow(t, p)
	requireShown(t, w, "MESSAGE_UNDELIVERABLE")
	i := -1
	for j, m := range p.messages {
		if m.GetName() == "MESSAGE_UNDELIVERABLE" {
			i = j
		}
	}
	p.list.Select(i)
	if p.text.Text != "Message undeliverable" {
		t.Fatalf("the editor shows %q", p.text.Text)
	}
	p.text.SetText("")
	test.Type(p.text, "Could not deliver")
	if !p.HasUnsavedChanges() {
		t.Fatal("editing the text is not an unsaved change")
	}
	test.Tap(p.form.SaveButton)
	if p.HasUnsavedChanges() {
		t.Fatalf("saving failed: %q", p.form.Message.Text)
	}
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := srv.Session.Client.Settings.ListServerMessages(ctx, connect.NewRequest(&adminv1.ListServerMessagesRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range resp.Msg.GetMessages() {
		if m.GetName() == "MESSAGE_UNDELIVERABLE" && m.GetText() != "Could not deliver" {
			t.Fatalf("the server has %q", m.GetText())
		}
	}

	// Choosing another message with unsaved edits asks first.
	p.window = w
	test.Type(p.text, "!")
	p.list.Select((i + 1) % len(p.messages))
	tapDialogButton(t, w, "No")
	if p.selected != i || p.text.Text != "Could not deliver!" {
		t.Fatalf("declining to discard changed the message shown: %d %q", p.selected, p.text.Text)
	}
}
