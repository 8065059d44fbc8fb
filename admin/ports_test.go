package admin

import (
	"testing"

	"fyne.io/fyne/v2/test"
)

func TestPortsPageAddsAndDeletesAPort(t *testing.T) {
	srv := startPagesServer(t)
	p := newPortsPage(srv.Session, nil)
	w := newPagesWindow(t, p.stack)
	p.window = w
	requireShown(t, w, "take effect when the mail services restart")
	before := len(p.ports)

	test.Tap(findButton(t, w, "Add..."))
	e := p.editor
	e.protocol.SetSelected("imap")
	e.address.SetText("127.0.0.1")
	e.port.SetText("70000")
	test.Tap(e.form.SaveButton)
	if e.form.FieldError("port") == "" {
		t.Fatalf("port 70000 gave no error beside the port; message %q", e.form.Message.Text)
	}
	e.port.SetText("1143")
	e.security.SetSelected("STARTTLS (optional)")
	test.Tap(e.form.SaveButton)
	if p.editor != nil {
		t.Fatalf("saving failed: %q %q", e.form.Message.Text, e.form.FieldError("port"))
	}
	if len(p.ports) != before+1 {
		t.Fatalf("%d ports listed after adding one to %d", len(p.ports), before)
	}
	var added int = -1
	for i, port := range p.ports {
		if port.GetPort() == 1143 {
			added = i
		}
	}
	if added < 0 {
		t.Fatal("port 1143 is not listed")
	}
	p.list.Select(added)
	test.Tap(p.remove)
	tapDialogButton(t, w, "Yes")
	if len(p.ports) != before {
		t.Fatalf("%d ports listed after deleting the one added; want %d", len(p.ports), before)
	}
}

func TestCertificatesPageNeedsTheFiles(t *testing.T) {
	srv := startPagesServer(t)
	p := newCertificatesPage(srv.Session, nil)
	w := newPagesWindow(t, p.stack)
	p.window = w
	test.Tap(findButton(t, w, "Add..."))
	e := p.editor
	e.name.SetText("mail")
	test.Tap(e.form.SaveButton)
	if e.form.FieldError("certificate_file") == "" {
		t.Fatalf("a certificate without its file gave no error beside it; message %q", e.form.Message.Text)
	}
}
