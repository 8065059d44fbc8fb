package admin

import (
	"fmt"
	"strconv"
	"strings"

	"connectrpc.com/connect"
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

// settingField is one server setting shown on a settings page.
type settingField struct {
	name     string // the server's setting name, also the form field's name
	label    string
	password bool     // a text setting shown as a password entry
	choices  []string // an int setting chosen from these, by index
}

// settingsPageSpec is the content of one settings tree node.
type settingsPageSpec struct {
	title  string
	note   string // shown under the title, if any
	fields []settingField
}

// securityChoices are the connection security values, as
// store.ConnectionSecurity numbers them.
var securityChoices = []string{"None", "SSL/TLS", "STARTTLS (optional)", "STARTTLS (required)"}

// settingsPages are the settings nodes of the tree and their settings,
// labelled as hMailServer Administrator labels them.
var settingsPages = map[string]settingsPageSpec{
	"settings/protocols/smtp": {title: "SMTP", fields: []settingField{
		{name: "HostName", label: "Host name"},
		{name: "WelcomeSMTP", label: "Welcome message"},
		{name: "MaxSMTPConnections", label: "Maximum number of simultaneous connections (0 = unlimited)"},
		{name: "MaxMessageSizeKB", label: "Max message size (KB, 0 = unlimited)"},
		{name: "AllowPlainTextAuthentication", label: "Allow plain text authentication"},
		{name: "AllowEmptySender", label: "Allow empty sender address"},
		{name: "AllowIncorrectLineEndings", label: "Allow incorrectly formatted line endings"},
		{name: "DisconnectInvalidClients", label: "Disconnect client after too many invalid commands"},
		{name: "MaxNumberOfInvalidCommands", label: "Maximum number of invalid commands"},
		{name: "MaxRecipients", label: "Maximum number of recipients in a message"},
		{name: "AddXAuthUserHeader", label: "Add X-AuthUser header"},
		{name: "AddDeliveredToHeader", label: "Add Delivered-To header"},
		{name: "LogSMTPConversations", label: "Log SMTP conversations"},
		{name: "MaskPasswordsInLog", label: "Mask passwords in the log"},
	}},
	"settings/protocols/smtp/delivery": {title: "Delivery of e-mail", fields: []settingField{
		{name: "SMTPNoOfTries", label: "Number of retries"},
		{name: "SMTPMinutesBetweenTry", label: "Minutes between every retry"},
		{name: "DeliveryThreads", label: "Number of delivery threads"},
		{name: "SMTPRelayer", label: "SMTP relayer: remote host name"},
		{name: "SMTPRelayerPort", label: "SMTP relayer: remote TCP/IP port"},
		{name: "SMTPRelayerRequiresAuth", label: "SMTP relayer: server requires authentication"},
		{name: "SMTPRelayerUsername", label: "SMTP relayer: user name"},
		{name: "SMTPRelayerPassword", label: "SMTP relayer: password", password: true},
		{name: "SMTPRelayerSecurity", label: "SMTP relayer: connection security", choices: securityChoices},
		{name: "SMTPDeliverySecurity", label: "Connection security of direct delivery", choices: securityChoices},
		{name: "VerifyRemoteCertificate", label: "Verify remote server's SSL/TLS certificate"},
		{name: "MaxMXHosts", label: "Maximum number of MX hosts to try (0 = all)"},
		{name: "BindToLocalIP", label: "Bind to local IP address"},
		{name: "MaxRecipientsInBatch", label: "Maximum number of recipients in batch (0 = unlimited)"},
		{name: "DNSServer", label: "DNS server (empty = the system's resolver)"},
	}},
	"settings/protocols/pop3": {title: "POP3", fields: []settingField{
		{name: "WelcomePOP3", label: "Welcome message"},
		{name: "MaxPOP3Connections", label: "Maximum number of simultaneous connections (0 = unlimited)"},
		{name: "LogPOP3Conversations", label: "Log POP3 conversations"},
	}},
	"settings/protocols/imap": {title: "IMAP",
		fields: []settingField{
			{name: "WelcomeIMAP", label: "Welcome message"},
			{name: "MaxIMAPConnections", label: "Maximum number of simultaneous connections (0 = unlimited)"},
			{name: "LogIMAPConversations", label: "Log IMAP conversations"},
			{name: "IMAPPublicFolderName", label: "Public folder name"},
			{name: "IMAPHierarchyDelimiter", label: "Hierarchy delimiter"},
			{name: "IMAPIdleEnabled", label: "Enable IDLE"},
			{name: "IMAPSortEnabled", label: "Enable SORT"},
			{name: "IMAPQuotaEnabled", label: "Enable QUOTA"},
			{name: "IMAPACLEnabled", label: "Enable ACL"},
		}},
	"settings/advanced/autoban": {title: "Auto-ban", fields: []settingField{
		{name: "AutoBanOnLogonFailure", label: "Enabled"},
		{name: "MaxInvalidLogonAttempts", label: "Max invalid logon attempts"},
		{name: "LogonAttemptsWithinMinutes", label: "Minutes before reset"},
		{name: "AutoBanMinutes", label: "Minutes to auto-ban"},
	}},
	"settings/advanced/mirror": {title: "Mirror", fields: []settingField{
		{name: "MirrorAddress", label: "Mirror e-mail address (empty = no mirroring)"},
	}},
}

func init() {
	for id := range settingsPages {
		Pages[id] = func(s *Session, w fyne.Window, id string) fyne.CanvasObject {
			return newSettingsPage(s, w, settingsPages[id])
		}
	}
}

// settingsPage edits a list of server settings through ListSettings and
// SetSettings, saving them all at once or none.
type settingsPage struct {
	widget.BaseWidget
	session *Session
	window  fyne.Window
	spec    settingsPageSpec
	form    *Form
	status  *widget.Label
	content fyne.CanvasObject

	settings map[string]*adminv1.Setting // as last read from the server
	checks   map[string]*widget.Check
	entries  map[string]*widget.Entry
	selects  map[string]*widget.Select
}

func newSettingsPage(s *Session, w fyne.Window, spec settingsPageSpec) *settingsPage {
	p := &settingsPage{session: s, window: w, spec: spec, settings: map[string]*adminv1.Setting{},
		checks: map[string]*widget.Check{}, entries: map[string]*widget.Entry{}, selects: map[string]*widget.Select{}}
	p.ExtendBaseWidget(p)
	p.form = NewForm(p.save, p.load)
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord
	p.status.Hide()

	kinds, err := p.read()
	if err != nil {
		p.status.SetText("Could not read the settings: " + errorText(err))
		p.status.Show()
	}
	var names []string
	for _, f := range spec.fields {
		kind := kinds[f.name]
		switch {
		case kind == "bool":
			p.checks[f.name] = p.form.Check(f.name, f.label)
		case f.choices != nil:
			p.selects[f.name] = p.form.Select(f.name, f.label, f.choices)
		case f.password:
			p.entries[f.name] = p.form.Password(f.name, f.label)
		default:
			p.entries[f.name] = p.form.Entry(f.name, f.label)
		}
		names = append(names, f.name)
	}
	top := container.NewVBox(pageHeading(spec.title))
	if spec.note != "" {
		note := widget.NewLabel(spec.note)
		note.Wrapping = fyne.TextWrapWord
		top.Add(note)
	}
	top.Add(p.status)
	top.Add(widget.NewSeparator())
	p.content = container.NewBorder(top, p.form.Buttons(), nil, nil, container.NewVScroll(p.form.Rows(names...)))
	p.load()
	return p
}

// read asks the server for the page's settings and returns their kinds.
func (p *settingsPage) read() (map[string]string, error) {
	kinds := map[string]string{}
	ctx, cancel := pageCallContext()
	defer cancel()
	resp, err := p.session.Client.Settings.ListSettings(ctx, connect.NewRequest(&adminv1.ListSettingsRequest{}))
	if err != nil {
		return kinds, err
	}
	for _, s := range resp.Msg.GetSettings() {
		p.settings[s.GetName()] = s
		kinds[s.GetName()] = s.GetKind()
	}
	return kinds, nil
}

// load shows the values last read from the server.
func (p *settingsPage) load() {
	p.form.Load(func() {
		for name, s := range p.settings {
			value := s.GetValue()
			if c, ok := p.checks[name]; ok {
				c.SetChecked(value == "1")
			}
			if e, ok := p.entries[name]; ok {
				e.SetText(value)
			}
			if sel, ok := p.selects[name]; ok {
				if i, err := strconv.Atoi(value); err == nil && i >= 0 && i < len(sel.Options) {
					sel.SetSelectedIndex(i)
				} else {
					sel.ClearSelected()
				}
			}
		}
	})
}

// values returns the settings that differ from the values last read,
// checking int settings against their range first.
func (p *settingsPage) values() (map[string]string, error) {
	values := map[string]string{}
	for _, f := range p.spec.fields {
		s, ok := p.settings[f.name]
		if !ok {
			continue
		}
		var value string
		if c, ok := p.checks[f.name]; ok {
			value = "0"
			if c.Checked {
				value = "1"
			}
		} else if sel, ok := p.selects[f.name]; ok {
			if sel.SelectedIndex() < 0 {
				continue
			}
			value = strconv.Itoa(sel.SelectedIndex())
		} else {
			value = strings.TrimSpace(p.entries[f.name].Text)
			if f.password {
				value = p.entries[f.name].Text
			}
			if s.GetKind() == "int" && value != s.GetValue() {
				n, err := strconv.ParseInt(value, 10, 64)
				if err != nil {
					return nil, &inputError{field: f.name, message: fmt.Sprintf("%q is not a whole number", value)}
				}
				if n < int64(s.GetMin()) || n > int64(s.GetMax()) {
					return nil, &inputError{field: f.name, message: fmt.Sprintf("must be between %d and %d", s.GetMin(), s.GetMax())}
				}
				value = strconv.FormatInt(n, 10)
			}
		}
		if value != s.GetValue() {
			values[f.name] = value
		}
	}
	return values, nil
}

func (p *settingsPage) save() error {
	values, err := p.values()
	if err != nil {
		return err
	}
	if len(values) > 0 {
		ctx, cancel := pageCallContext()
		defer cancel()
		resp, err := p.session.Client.Settings.SetSettings(ctx, connect.NewRequest(&adminv1.SetSettingsRequest{Values: values}))
		if err != nil {
			return err
		}
		for _, s := range resp.Msg.GetSettings() {
			p.settings[s.GetName()] = s
		}
	}
	p.load()
	return nil
}

// HasUnsavedChanges implements UnsavedChanges.
func (p *settingsPage) HasUnsavedChanges() bool { return p.form.Changed() }

func (p *settingsPage) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.content)
}
