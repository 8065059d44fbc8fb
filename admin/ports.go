package admin

import (
	"fmt"
	"strings"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

func init() {
	Pages["settings/advanced/tcpipports"] = func(s *Session, w fyne.Window, _ string) fyne.CanvasObject {
		return newPortsPage(s, w).stack
	}
	Pages["settings/advanced/sslcertificates"] = func(s *Session, w fyne.Window, _ string) fyne.CanvasObject {
		return newCertificatesPage(s, w).stack
	}
}

// securityNames are the connection security choices, indexed by
// adminv1.ConnectionSecurity.
var securityNames = []string{"None", "SSL/TLS", "STARTTLS (optional)", "STARTTLS (required)"}

// securityName is a connection security as the pages show it.
func securityName(s adminv1.ConnectionSecurity) string {
	if int(s) >= 0 && int(s) < len(securityNames) {
		return securityNames[s]
	}
	return fmt.Sprintf("security %d", s)
}

// securityOf is the connection security chosen in a select.
func securityOf(sel *widget.Select) adminv1.ConnectionSecurity {
	if i := sel.SelectedIndex(); i > 0 {
		return adminv1.ConnectionSecurity(i)
	}
	return adminv1.ConnectionSecurity_CONNECTION_SECURITY_NONE
}

// portProtocols are the protocols a TCP/IP port can serve.
var portProtocols = []string{"smtp", "pop3", "imap"}

// portsRestartNote tells when port changes take effect.
const portsRestartNote = "Changes to the TCP/IP ports take effect when the mail services restart (Status → Server: Stop, then Start)."

// noCertificate is the certificate choice of a port without one.
const noCertificate = "(none)"

// portsPage is Advanced → TCP/IP ports: the ports the server listens on,
// with Add and Delete (manual: TCP/IP ports).
type portsPage struct {
	session  *Session
	window   fyne.Window
	stack    *pageStack
	listView fyne.CanvasObject

	ports    []*adminv1.Port
	certs    []*adminv1.Certificate
	selected int
	list     *widget.List
	status   *widget.Label
	remove   *widget.Button
	editor   *portEditor
}

func newPortsPage(s *Session, w fyne.Window) *portsPage {
	p := &portsPage{session: s, window: w, selected: -1}
	p.list = widget.NewList(
		func() int { return len(p.ports) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(p.portText(p.ports[i])) })
	p.list.OnSelected = func(i widget.ListItemID) { p.selected = i; p.remove.Enable() }
	p.list.OnUnselected = func(widget.ListItemID) { p.selected = -1; p.remove.Disable() }
	p.status = widget.NewLabel("")
	note := widget.NewLabel(portsRestartNote)
	note.Wrapping = fyne.TextWrapWord
	add := widget.NewButton("Add...", p.openEditor)
	p.remove = widget.NewButton("Delete", p.confirmDelete)
	p.remove.Disable()
	p.listView = container.NewBorder(
		container.NewVBox(editorTitle("TCP/IP ports"), note, p.status),
		container.NewHBox(layout.NewSpacer(), add, p.remove),
		nil, nil, p.list)
	p.stack = newPageStack(p.listView)
	p.reload()
	return p
}

func (p *portsPage) portText(port *adminv1.Port) string {
	text := fmt.Sprintf("%s  %s:%d  %s", strings.ToUpper(port.GetProtocol()), port.GetAddress(), port.GetPort(), securityName(port.GetSecurity()))
	if id := port.GetCertificateId(); id != 0 {
		name := fmt.Sprintf("certificate %d", id)
		for _, c := range p.certs {
			if c.GetId() == id {
				name = c.GetName()
			}
		}
		text += "  " + name
	}
	return text
}

func (p *portsPage) reload() {
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := p.session.Client.Ports.ListPorts(ctx, connect.NewRequest(&adminv1.ListPortsRequest{}))
	if err != nil {
		p.status.SetText("Could not read the TCP/IP ports: " + errorText(err))
		return
	}
	certs, err := p.session.Client.Ports.ListCertificates(ctx, connect.NewRequest(&adminv1.ListCertificatesRequest{}))
	if err == nil {
		p.certs = certs.Msg.GetCertificates()
	}
	p.ports = resp.Msg.GetPorts()
	p.status.SetText(countText(len(p.ports), "TCP/IP port", "TCP/IP ports"))
	p.list.UnselectAll()
	p.list.Refresh()
}

func (p *portsPage) openEditor() {
	p.editor = newPortEditor(p.session, p.certs)
	back := widget.NewButton("Back to the TCP/IP ports", func() {
		confirmLeave(p.window, p.editor.form.Changed(), p.showList)
	})
	p.editor.saved = p.showList
	p.stack.ShowView(container.NewBorder(container.NewHBox(back), nil, nil, nil, p.editor.view), p.editor.form)
}

func (p *portsPage) showList() {
	p.editor = nil
	p.reload()
	p.stack.ShowView(p.listView)
}

func (p *portsPage) confirmDelete() {
	if p.selected < 0 {
		return
	}
	port := p.ports[p.selected]
	confirmRemoval(p.window, fmt.Sprintf("the %s port %s:%d", strings.ToUpper(port.GetProtocol()), port.GetAddress(), port.GetPort()), func() {
		ctx, cancel := pageCallContext()
		defer cancel()
		if _, err := p.session.Client.Ports.DeletePort(ctx, connect.NewRequest(&adminv1.DeletePortRequest{Id: port.GetId()})); err != nil {
			showPageError(p.window, err)
			return
		}
		p.reload()
	})
}

// portEditor adds one TCP/IP port; a port is not changed once added, but
// deleted and added again.
type portEditor struct {
	session *Session
	certs   []*adminv1.Certificate
	saved   func() // called after the port is added

	form          *Form
	protocol      *widget.Select
	address, port *widget.Entry
	security      *widget.Select
	certificate   *widget.Select
	view          fyne.CanvasObject
}

func newPortEditor(s *Session, certs []*adminv1.Certificate) *portEditor {
	e := &portEditor{session: s, certs: certs}
	f := NewForm(e.save, e.load)
	e.form = f
	e.protocol = f.Select("protocol", "Protocol", portProtocols)
	e.address = f.Entry("address", "TCP/IP address")
	e.port = f.Entry("port", "TCP/IP port")
	e.security = f.Select("security", "Connection security", securityNames)
	options := []string{noCertificate}
	for _, c := range certs {
		options = append(options, c.GetName())
	}
	e.certificate = f.Select("certificate_id", "SSL certificate", options)
	note := widget.NewLabel(portsRestartNote)
	note.Wrapping = fyne.TextWrapWord
	e.view = container.NewBorder(editorTitle("New TCP/IP port"), f.Buttons(), nil, nil,
		container.NewVScroll(container.NewVBox(f.Rows("protocol", "address", "port", "security", "certificate_id"), note)))
	e.load()
	return e
}

func (e *portEditor) load() {
	e.form.Load(func() {
		e.protocol.SetSelected("smtp")
		e.address.SetText("0.0.0.0")
		e.port.SetText("")
		e.security.SetSelectedIndex(0)
		e.certificate.SetSelectedIndex(0)
	})
}

func (e *portEditor) save() error {
	number, err := wholeNumber(e.port, "port")
	if err != nil {
		return err
	}
	port := &adminv1.Port{Protocol: e.protocol.Selected, Address: strings.TrimSpace(e.address.Text),
		Port: number, Security: securityOf(e.security)}
	if i := e.certificate.SelectedIndex(); i > 0 && i <= len(e.certs) {
		port.CertificateId = e.certs[i-1].GetId()
	}
	ctx, cancel := pageCallContext()
	defer cancel()
	if _, err := e.session.Client.Ports.CreatePort(ctx, connect.NewRequest(port)); err != nil {
		return err
	}
	e.load()
	if e.saved != nil {
		e.saved()
	}
	return nil
}

// certificatesPage is Advanced → SSL certificates: the certificates the
// TCP/IP ports can use, with Add and Delete (manual: SSL certificates).
type certificatesPage struct {
	session  *Session
	window   fyne.Window
	stack    *pageStack
	listView fyne.CanvasObject

	certs    []*adminv1.Certificate
	selected int
	list     *widget.List
	status   *widget.Label
	remove   *widget.Button
	editor   *certificateEditor
}

func newCertificatesPage(s *Session, w fyne.Window) *certificatesPage {
	p := &certificatesPage{session: s, window: w, selected: -1}
	p.list = widget.NewList(
		func() int { return len(p.certs) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			c := p.certs[i]
			o.(*widget.Label).SetText(c.GetName() + "  " + c.GetCertificateFile())
		})
	p.list.OnSelected = func(i widget.ListItemID) { p.selected = i; p.remove.Enable() }
	p.list.OnUnselected = func(widget.ListItemID) { p.selected = -1; p.remove.Disable() }
	p.status = widget.NewLabel("")
	add := widget.NewButton("Add...", p.openEditor)
	p.remove = widget.NewButton("Delete", p.confirmDelete)
	p.remove.Disable()
	p.listView = container.NewBorder(
		container.NewVBox(editorTitle("SSL certificates"), p.status),
		container.NewHBox(layout.NewSpacer(), add, p.remove),
		nil, nil, p.list)
	p.stack = newPageStack(p.listView)
	p.reload()
	return p
}

func (p *certificatesPage) reload() {
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := p.session.Client.Ports.ListCertificates(ctx, connect.NewRequest(&adminv1.ListCertificatesRequest{}))
	if err != nil {
		p.status.SetText("Could not read the SSL certificates: " + errorText(err))
		return
	}
	p.certs = resp.Msg.GetCertificates()
	p.status.SetText(countText(len(p.certs), "SSL certificate", "SSL certificates"))
	p.list.UnselectAll()
	p.list.Refresh()
}

func (p *certificatesPage) openEditor() {
	p.editor = newCertificateEditor(p.session)
	p.editor.saved = p.showList
	back := widget.NewButton("Back to the SSL certificates", func() {
		confirmLeave(p.window, p.editor.form.Changed(), p.showList)
	})
	p.stack.ShowView(container.NewBorder(container.NewHBox(back), nil, nil, nil, p.editor.view), p.editor.form)
}

func (p *certificatesPage) showList() {
	p.editor = nil
	p.reload()
	p.stack.ShowView(p.listView)
}

func (p *certificatesPage) confirmDelete() {
	if p.selected < 0 {
		return
	}
	c := p.certs[p.selected]
	confirmRemoval(p.window, "the SSL certificate "+c.GetName(), func() {
		ctx, cancel := pageCallContext()
		defer cancel()
		if _, err := p.session.Client.Ports.DeleteCertificate(ctx, connect.NewRequest(&adminv1.DeleteCertificateRequest{Id: c.GetId()})); err != nil {
			showPageError(p.window, err)
			return
		}
		p.reload()
	})
}

// certificateEditor adds one SSL certificate: its name and the paths, on
// the server, of its certificate and private key files.
type certificateEditor struct {
	session *Session
	saved   func()

	form                    *Form
	name, certFile, keyFile *widget.Entry
	view                    fyne.CanvasObject
}

func newCertificateEditor(s *Session) *certificateEditor {
	e := &certificateEditor{session: s}
	f := NewForm(e.save, e.load)
	e.form = f
	e.name = f.Entry("name", "Name")
	e.certFile = f.Entry("certificate_file", "Certificate file")
	e.keyFile = f.Entry("private_key_file", "Private key file")
	note := widget.NewLabel("The files are PEM files on the server, named by their path there.")
	note.Wrapping = fyne.TextWrapWord
	e.view = container.NewBorder(editorTitle("New SSL certificate"), f.Buttons(), nil, nil,
		container.NewVScroll(container.NewVBox(f.Rows("name", "certificate_file", "private_key_file"), note)))
	e.load()
	return e
}

func (e *certificateEditor) load() {
	e.form.Load(func() {
		e.name.SetText("")
		e.certFile.SetText("")
		e.keyFile.SetText("")
	})
}

func (e *certificateEditor) save() error {
	c := &adminv1.Certificate{Name: strings.TrimSpace(e.name.Text),
		CertificateFile: strings.TrimSpace(e.certFile.Text), PrivateKeyFile: strings.TrimSpace(e.keyFile.Text)}
	ctx, cancel := pageCallContext()
	defer cancel()
	if _, err := e.session.Client.Ports.CreateCertificate(ctx, connect.NewRequest(c)); err != nil {
		return err
	}
	e.load()
	if e.saved != nil {
		e.saved()
	}
	return nil
}
