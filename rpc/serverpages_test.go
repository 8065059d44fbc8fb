package rpc

import (
	"context"
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"strings"
	"testing"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/messagefile"
)

// Tests of the server-wide pages over a real client and HTTPS: IP ranges,
// ports, certificates, settings, server messages, routes and the queue.

// pagesFieldError checks that err is INVALID_ARGUMENT naming field.
func pagesFieldError(t *testing.T, err error, field string) {
	t.Helper()
	if connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("error %v (code %v), want INVALID_ARGUMENT on %q", err, connect.CodeOf(err), field)
	}
	fe, ok := FieldErrorOf(err)
	if !ok || fe.GetField() != field {
		t.Fatalf("field error %v, want field %q (error %v)", fe, field, err)
	}
}

// pagesCode checks err's Connect code.
func pagesCode(t *testing.T, err error, code connect.Code) {
	t.Helper()
	if connect.CodeOf(err) != code {
		t.Fatalf("error %v (code %v), want %v", err, connect.CodeOf(err), code)
	}
}

// pagesReq wraps a request message.
func pagesReq[T any](m *T) *connect.Request[T] { return connect.NewRequest(m) }

func listRanges(t *testing.T, c *Client) []*adminv1.IPRange {
	t.Helper()
	resp, err := c.IPRanges.ListIPRanges(testContext(t), pagesReq(&adminv1.ListIPRangesRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	return resp.Msg.GetRanges()
}

func TestIPRangesAreCreatedChangedAndDeletedAndTheServerSeesIt(t *testing.T) {
	api := newTestAPI(t)
	c := api.AsAdmin(t)
	ctx := testContext(t)
	defaults := len(listRanges(t, c))
	client := netip.MustParseAddr("10.9.8.7")
	if r, _, err := api.Options.Ranges.Match(ctx, client); err != nil || r.Name == "Office" {
		t.Fatalf("before: matched %q, %v", r.Name, err) // also loads the server's cache
	}

	created, err := c.IPRanges.CreateIPRange(ctx, pagesReq(&adminv1.IPRange{
		Name: " Office ", Priority: 999, LowerIp: "10.9.8.0", UpperIp: "10.9.8.255",
		AllowSmtp: true, Allow: &adminv1.Deliveries{LocalToLocal: true, ExternalToLocal: true},
		RequireAuth: &adminv1.Deliveries{LocalToExternal: true},
	}))
	if err != nil {
		t.Fatal(err)
	}
	got := created.Msg
	if got.GetId() == 0 || got.GetName() != "Office" || !got.GetAllow().GetExternalToLocal() || !got.GetRequireAuth().GetLocalToExternal() {
		t.Errorf("created %v", got)
	}
	if len(listRanges(t, c)) != defaults+1 {
		t.Errorf("the list does not hold the new range")
	}
	if r, _, err := api.Options.Ranges.Match(ctx, client); err != nil || r.Name != "Office" {
		t.Errorf("the server matches %q (%v), want the new range at once", r.Name, err)
	}

	got.Name, got.UpperIp, got.AntiSpam = "Office LAN", "10.9.9.255", true
	if _, err := c.IPRanges.UpdateIPRange(ctx, pagesReq(got)); err != nil {
		t.Fatal(err)
	}
	var found *adminv1.IPRange
	for _, r := range listRanges(t, c) {
		if r.GetId() == got.GetId() {
			found = r
		}
	}
	if found.GetName() != "Office LAN" || found.GetUpperIp() != "10.9.9.255" || !found.GetAntiSpam() {
		t.Errorf("after the update: %v", found)
	}
	if r, _, _ := api.Options.Ranges.Match(ctx, client); r.Name != "Office LAN" {
		t.Errorf("the server matches %q after the update", r.Name)
	}

	if _, err := c.IPRanges.DeleteIPRange(ctx, pagesReq(&adminv1.DeleteIPRangeRequest{Id: got.GetId()})); err != nil {
		t.Fatal(err)
	}
	if len(listRanges(t, c)) != defaults {
		t.Error("the range is still listed after deletion")
	}
	if r, _, _ := api.Options.Ranges.Match(ctx, client); r.Name == "Office LAN" {
		t.Error("the server still matches the deleted range")
	}
	if !api.LogContains("admin: IP range created", "Office") || !api.LogContains("admin: IP range deleted") {
		t.Error("the changes are not in the log")
	}

	_, err = c.IPRanges.DeleteIPRange(ctx, pagesReq(&adminv1.DeleteIPRangeRequest{Id: got.GetId()}))
	pagesCode(t, err, connect.CodeNotFound)
	_, err = c.IPRanges.UpdateIPRange(ctx, pagesReq(got))
	pagesCode(t, err, connect.CodeNotFound)
}

func TestIPRangeValidationErrorsNameTheFieldAndChangeNothing(t *testing.T) {
	api := newTestAPI(t)
	c := api.AsAdmin(t)
	valid := func() *adminv1.IPRange {
		return &adminv1.IPRange{Name: "LAN", Priority: 20, LowerIp: "192.168.0.1", UpperIp: "192.168.0.255"}
	}
	before := len(listRanges(t, c))
	for _, tc := range []struct {
		name   string
		change func(r *adminv1.IPRange)
		field  string
	}{
		{"priority_above_1000", func(r *adminv1.IPRange) { r.Priority = 1001 }, "priority"},
		{"negative_priority", func(r *adminv1.IPRange) { r.Priority = -1 }, "priority"},
		{"upper_below_lower", func(r *adminv1.IPRange) { r.UpperIp = "192.167.255.255" }, "upper_ip"},
		{"mixed_families", func(r *adminv1.IPRange) { r.UpperIp = "2001:db8::1" }, "upper_ip"},
		{"upper_not_an_address", func(r *adminv1.IPRange) { r.UpperIp = "192.168.0.256" }, "upper_ip"},
		{"lower_not_an_address", func(r *adminv1.IPRange) { r.LowerIp = "localhost" }, "lower_ip"},
		{"lower_missing", func(r *adminv1.IPRange) { r.LowerIp = "" }, "lower_ip"},
		{"empty_name", func(r *adminv1.IPRange) { r.Name = "  " }, "name"},
		{"name_over_40_characters", func(r *adminv1.IPRange) { r.Name = strings.Repeat("n", 41) }, "name"},
		{"oversized_name", func(r *adminv1.IPRange) { r.Name = strings.Repeat("n", 10_000) }, "name"},
		{"expiring_without_time", func(r *adminv1.IPRange) { r.Expires = true }, "expires_at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := valid()
			tc.change(r)
			_, err := c.IPRanges.CreateIPRange(testContext(t), pagesReq(r))
			pagesFieldError(t, err, tc.field)
			if n := len(listRanges(t, c)); n != before {
				t.Errorf("%d ranges after a refused create, want %d", n, before)
			}
		})
	}
}

func TestPortsAndCertificates(t *testing.T) {
	api := newTestAPI(t)
	c := api.AsAdmin(t)
	ctx := testContext(t)
	listPorts := func() []*adminv1.Port {
		resp, err := c.Ports.ListPorts(ctx, pagesReq(&adminv1.ListPortsRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		return resp.Msg.GetPorts()
	}
	before := len(listPorts())

	cert, err := c.Ports.CreateCertificate(ctx, pagesReq(&adminv1.Certificate{Name: "mail", CertificateFile: "/etc/ssl/mail.pem", PrivateKeyFile: "/etc/ssl/mail.key"}))
	if err != nil {
		t.Fatal(err)
	}
	port, err := c.Ports.CreatePort(ctx, pagesReq(&adminv1.Port{Protocol: "SMTP", Address: "0.0.0.0", Port: 2465,
		Security: adminv1.ConnectionSecurity_CONNECTION_SECURITY_TLS, CertificateId: cert.Msg.GetId()}))
	if err != nil {
		t.Fatal(err)
	}
	if p := port.Msg; p.GetId() == 0 || p.GetProtocol() != "smtp" || p.GetCertificateId() != cert.Msg.GetId() {
		t.Errorf("created %v", p)
	}
	if len(listPorts()) != before+1 {
		t.Error("the new port is not listed")
	}
	certs, err := c.Ports.ListCertificates(ctx, pagesReq(&adminv1.ListCertificatesRequest{}))
	if err != nil || len(certs.Msg.GetCertificates()) != 1 || certs.Msg.GetCertificates()[0].GetPrivateKeyFile() != "/etc/ssl/mail.key" {
		t.Errorf("certificates %v, %v", certs, err)
	}

	for _, tc := range []struct {
		name  string
		port  *adminv1.Port
		field string
	}{
		{"duplicate_address_and_port", &adminv1.Port{Protocol: "imap", Address: "0.0.0.0", Port: 2465}, "port"},
		{"unknown_protocol", &adminv1.Port{Protocol: "ftp", Address: "0.0.0.0", Port: 21}, "protocol"},
		{"port_zero", &adminv1.Port{Protocol: "pop3", Address: "0.0.0.0", Port: 0}, "port"},
		{"port_above_65535", &adminv1.Port{Protocol: "pop3", Address: "0.0.0.0", Port: 70000}, "port"},
		{"address_not_an_ip", &adminv1.Port{Protocol: "pop3", Address: "mail.example.com", Port: 110}, "address"},
		{"unknown_certificate", &adminv1.Port{Protocol: "pop3", Address: "0.0.0.0", Port: 995, CertificateId: 4242}, "certificate_id"},
		{"unknown_security", &adminv1.Port{Protocol: "pop3", Address: "0.0.0.0", Port: 995, Security: 9}, "security"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Ports.CreatePort(testContext(t), pagesReq(tc.port))
			pagesFieldError(t, err, tc.field)
			if n := len(listPorts()); n != before+1 {
				t.Errorf("%d ports after a refused create", n)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		cert  *adminv1.Certificate
		field string
	}{
		{"duplicate_name_in_any_case", &adminv1.Certificate{Name: "MAIL", CertificateFile: "a", PrivateKeyFile: "b"}, "name"},
		{"no_certificate_file", &adminv1.Certificate{Name: "other", PrivateKeyFile: "b"}, "certificate_file"},
		{"no_key_file", &adminv1.Certificate{Name: "other", CertificateFile: "a"}, "private_key_file"},
		{"oversized_file_name", &adminv1.Certificate{Name: "other", CertificateFile: strings.Repeat("f", 5000), PrivateKeyFile: "b"}, "certificate_file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Ports.CreateCertificate(testContext(t), pagesReq(tc.cert))
			pagesFieldError(t, err, tc.field)
		})
	}

	_, err = c.Ports.DeleteCertificate(ctx, pagesReq(&adminv1.DeleteCertificateRequest{Id: cert.Msg.GetId()}))
	pagesFieldError(t, err, "id") // a port uses it
	if _, err := c.Ports.DeletePort(ctx, pagesReq(&adminv1.DeletePortRequest{Id: port.Msg.GetId()})); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Ports.DeleteCertificate(ctx, pagesReq(&adminv1.DeleteCertificateRequest{Id: cert.Msg.GetId()})); err != nil {
		t.Fatal(err)
	}
	if len(listPorts()) != before {
		t.Error("the deleted port is still listed")
	}
	_, err = c.Ports.DeletePort(ctx, pagesReq(&adminv1.DeletePortRequest{Id: port.Msg.GetId()}))
	pagesCode(t, err, connect.CodeNotFound)
	if !api.LogContains("admin: TCP/IP port created", "port=2465") || !api.LogContains("admin: SSL certificate deleted") {
		t.Error("the changes are not in the log")
	}
}

func TestSettingsListAndSetAllOrNothing(t *testing.T) {
	api := newTestAPI(t)
	c := api.AsAdmin(t)
	ctx := testContext(t)
	settings := func(prefix string) map[string]*adminv1.Setting {
		resp, err := c.Settings.ListSettings(ctx, pagesReq(&adminv1.ListSettingsRequest{Prefix: prefix}))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*adminv1.Setting{}
		for _, s := range resp.Msg.GetSettings() {
			out[s.GetName()] = s
		}
		return out
	}

	all := settings("")
	if len(all) != len(store.KnownSettings()) {
		t.Errorf("%d settings listed, %d known", len(all), len(store.KnownSettings()))
	}
	tries := all["SMTPNoOfTries"]
	if tries.GetKind() != "int" || tries.GetValue() != "4" || tries.GetDefaultValue() != "4" || tries.GetMax() != 1000 {
		t.Errorf("SMTPNoOfTries = %v", tries)
	}
	if s := all["DNSServer"]; s.GetKind() != "text" || s.GetValue() != "" {
		t.Errorf("DNSServer = %v", s)
	}
	if s := all["IMAPIdleEnabled"]; s.GetKind() != "bool" || s.GetValue() != "1" {
		t.Errorf("IMAPIdleEnabled = %v", s)
	}
	imap := settings("imap")
	if len(imap) == 0 {
		t.Fatal("no setting starts with imap")
	}
	for name := range imap {
		if !strings.HasPrefix(name, "IMAP") {
			t.Errorf("prefix imap lists %s", name)
		}
	}

	for _, tc := range []struct {
		name   string
		values map[string]string
		field  string
	}{
		{"int_not_a_number", map[string]string{"HostName": "mail.example.com", "SMTPNoOfTries": "many"}, "SMTPNoOfTries"},
		{"int_out_of_range", map[string]string{"HostName": "mail.example.com", "DeliveryThreads": "0"}, "DeliveryThreads"},
		{"bool_not_0_or_1", map[string]string{"HostName": "mail.example.com", "IMAPIdleEnabled": "yes"}, "IMAPIdleEnabled"},
		{"unknown_setting", map[string]string{"HostName": "mail.example.com", "NoSuchSetting": "1"}, "NoSuchSetting"},
		{"bad_dns_server", map[string]string{"HostName": "mail.example.com", "DNSServer": "127.0.0.1:99999"}, "DNSServer"},
		{"oversized_value", map[string]string{"HostName": "mail.example.com", "WelcomeSMTP": strings.Repeat("w", 70_000)}, "WelcomeSMTP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Settings.SetSettings(testContext(t), pagesReq(&adminv1.SetSettingsRequest{Values: tc.values}))
			pagesFieldError(t, err, tc.field)
			if v := settings("HostName")["HostName"].GetValue(); v != "" {
				t.Errorf("HostName is %q after a refused call", v)
			}
		})
	}

	resp, err := c.Settings.SetSettings(ctx, pagesReq(&adminv1.SetSettingsRequest{Values: map[string]string{
		"HostName": "mail.example.com", "SMTPNoOfTries": "6", "DNSServer": "127.0.0.1:5353",
	}}))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.Msg.GetSettings()); n != 3 {
		t.Errorf("SetSettings answered %d settings, want the 3 it set", n)
	}
	all = settings("")
	if all["HostName"].GetValue() != "mail.example.com" || all["SMTPNoOfTries"].GetValue() != "6" || all["DNSServer"].GetValue() != "127.0.0.1:5353" {
		t.Errorf("after SetSettings: %v %v %v", all["HostName"], all["SMTPNoOfTries"], all["DNSServer"])
	}
	if !api.LogContains("admin: setting changed", "name=HostName", "value=mail.example.com") {
		t.Error("the change is not in the log")
	}
}

func TestServerMessagesAreListedAndChanged(t *testing.T) {
	api := newTestAPI(t)
	c := api.AsAdmin(t)
	ctx := testContext(t)
	list := func() map[string]*adminv1.ServerMessage {
		resp, err := c.Settings.ListServerMessages(ctx, pagesReq(&adminv1.ListServerMessagesRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*adminv1.ServerMessage{}
		for _, m := range resp.Msg.GetMessages() {
			out[m.GetName()] = m
		}
		return out
	}
	virus := list()["VIRUS_FOUND"]
	if virus.GetText() != "Virus found" {
		t.Fatalf("VIRUS_FOUND = %v", virus)
	}

	got, err := c.Settings.SetServerMessage(ctx, pagesReq(&adminv1.ServerMessage{Name: "VIRUS_FOUND", Text: "Malware found"}))
	if err != nil {
		t.Fatal(err)
	}
	if got.Msg.GetText() != "Malware found" || got.Msg.GetId() != virus.GetId() {
		t.Errorf("answered %v", got.Msg)
	}
	if _, err := c.Settings.SetServerMessage(ctx, pagesReq(&adminv1.ServerMessage{Id: virus.GetId(), Text: "Virus detected"})); err != nil {
		t.Fatal(err)
	}
	if text := list()["VIRUS_FOUND"].GetText(); text != "Virus detected" {
		t.Errorf("after changing by id: %q", text)
	}

	_, err = c.Settings.SetServerMessage(ctx, pagesReq(&adminv1.ServerMessage{Name: "NO_SUCH_MESSAGE", Text: "x"}))
	pagesFieldError(t, err, "name")
	_, err = c.Settings.SetServerMessage(ctx, pagesReq(&adminv1.ServerMessage{Id: 4242, Text: "x"}))
	pagesCode(t, err, connect.CodeNotFound)
	_, err = c.Settings.SetServerMessage(ctx, pagesReq(&adminv1.ServerMessage{Name: "VIRUS_FOUND", Text: strings.Repeat("x", 70_000)}))
	pagesFieldError(t, err, "text")
	if text := list()["VIRUS_FOUND"].GetText(); text != "Virus detected" {
		t.Errorf("a refused change changed the text to %.20q", text)
	}
	if !api.LogContains("admin: server message changed", "VIRUS_FOUND") {
		t.Error("the change is not in the log")
	}
}

func TestRoutePasswordIsWriteOnly(t *testing.T) {
	api := newTestAPI(t)
	c := api.AsAdmin(t)
	ctx := testContext(t)
	listRoutes := func() []*adminv1.Route {
		resp, err := c.Routes.ListRoutes(ctx, pagesReq(&adminv1.ListRoutesRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		return resp.Msg.GetRoutes()
	}
	storedPassword := func(id int64) string {
		r, err := api.Store.Route(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return r.Password
	}

	created, err := c.Routes.CreateRoute(ctx, pagesReq(&adminv1.Route{
		Domain: "partner.example", Description: "via the partner's gateway", TargetHost: "gw.partner.example", TargetPort: 587,
		Security: adminv1.ConnectionSecurity_CONNECTION_SECURITY_STARTTLS_REQUIRED, Tries: 3, MinutesBetween: 10,
		RequiresAuth: true, Username: "relay", Password: "s3cret", Addresses: []string{"b@partner.example", "a@partner.example"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	r := created.Msg
	if r.GetId() == 0 || r.GetPassword() != "" || r.GetUsername() != "relay" {
		t.Errorf("created %v; the password must not come back", r)
	}
	routes := listRoutes()
	if len(routes) != 1 || routes[0].GetPassword() != "" || len(routes[0].GetAddresses()) != 2 || routes[0].GetAddresses()[0] != "a@partner.example" {
		t.Fatalf("listed %v", routes)
	}
	if storedPassword(r.GetId()) != "s3cret" {
		t.Fatal("the password was not stored")
	}

	r.TargetPort, r.Password = 2525, ""
	updated, err := c.Routes.UpdateRoute(ctx, pagesReq(r))
	if err != nil {
		t.Fatal(err)
	}
	if updated.Msg.GetPassword() != "" || updated.Msg.GetTargetPort() != 2525 {
		t.Errorf("updated %v", updated.Msg)
	}
	if storedPassword(r.GetId()) != "s3cret" {
		t.Error("an update without a password lost the stored one")
	}
	r.Password = "n3w"
	if _, err := c.Routes.UpdateRoute(ctx, pagesReq(r)); err != nil {
		t.Fatal(err)
	}
	if storedPassword(r.GetId()) != "n3w" {
		t.Error("an update with a password did not change it")
	}
	for _, line := range api.Hub.Recent(1000) {
		if strings.Contains(line.Text, "s3cret") || strings.Contains(line.Text, "n3w") {
			t.Errorf("a route password is in the log: %s", line.Text)
		}
	}

	for _, tc := range []struct {
		name   string
		change func(r *adminv1.Route)
		field  string
	}{
		{"port_zero", func(r *adminv1.Route) { r.TargetPort = 0 }, "target_port"},
		{"no_target_host", func(r *adminv1.Route) { r.TargetHost = " " }, "target_host"},
		{"domain_without_dot", func(r *adminv1.Route) { r.Domain = "partner" }, "domain"},
		{"bad_address", func(r *adminv1.Route) { r.Addresses = []string{"not-an-address"} }, "addresses"},
		{"auth_without_username", func(r *adminv1.Route) { r.Username = "" }, "username"},
		{"oversized_description", func(r *adminv1.Route) { r.Description = strings.Repeat("d", 70_000) }, "description"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := &adminv1.Route{Id: r.GetId(), Domain: "partner.example", TargetHost: "gw.partner.example", TargetPort: 587, RequiresAuth: true, Username: "relay"}
			tc.change(bad)
			_, err := c.Routes.UpdateRoute(testContext(t), pagesReq(bad))
			pagesFieldError(t, err, tc.field)
			if got := listRoutes(); len(got) != 1 || got[0].GetTargetPort() != 2525 {
				t.Errorf("a refused update changed the route: %v", got)
			}
		})
	}
	_, err = c.Routes.CreateRoute(ctx, pagesReq(&adminv1.Route{Domain: "PARTNER.example", TargetHost: "x.example", TargetPort: 25}))
	pagesFieldError(t, err, "domain")

	if _, err := c.Routes.DeleteRoute(ctx, pagesReq(&adminv1.DeleteRouteRequest{Id: r.GetId()})); err != nil {
		t.Fatal(err)
	}
	if len(listRoutes()) != 0 {
		t.Error("the deleted route is still listed")
	}
	_, err = c.Routes.UpdateRoute(ctx, pagesReq(r))
	pagesCode(t, err, connect.CodeNotFound)
	_, err = c.Routes.DeleteRoute(ctx, pagesReq(&adminv1.DeleteRouteRequest{Id: r.GetId()}))
	pagesCode(t, err, connect.CodeNotFound)
}

// enqueueTestMessage writes a queue file with the given bytes and queues
// it for the recipients.
func enqueueTestMessage(t *testing.T, st *store.Store, from, message string, to ...string) store.QueuedMessage {
	t.Helper()
	rel, err := messagefile.QueuePath(messagefile.NewID())
	if err != nil {
		t.Fatal(err)
	}
	size, err := st.Files().Write(rel, strings.NewReader(message))
	if err != nil {
		t.Fatal(err)
	}
	var rcpts []store.QueuedRecipient
	for _, a := range to {
		rcpts = append(rcpts, store.QueuedRecipient{Address: a, OriginalAddress: a})
	}
	m, err := st.Enqueue(context.Background(), store.QueuedMessage{Path: rel, Size: size, From: from, Recipients: rcpts, NextTryAt: 4_000_000_000})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// queueFileExists reports whether the queue file rel is on disk.
func queueFileExists(t *testing.T, st *store.Store, rel string) bool {
	t.Helper()
	abs, err := st.Files().Abs(rel)
	if err != nil {
		t.Fatal(err)
	}
	_, err = os.Stat(abs)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

func TestQueueListShowSendNowRemoveAndClear(t *testing.T) {
	engine := newPagesEngine()
	api := newTestAPI(t, func(o *Options) { o.Engine = engine })
	c := api.AsAdmin(t)
	ctx := testContext(t)

	const first = "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Hello\r\n\r\nBody line\r\n"
	one := enqueueTestMessage(t, api.Store, "alice@example.org", first, "bob@example.net", "carol@example.net")
	// A header block with a line longer than a read buffer, LF line ends
	// and no body.
	long := "X-Long: " + strings.Repeat("y", 5000) + "\n"
	two := enqueueTestMessage(t, api.Store, "", "Subject: Bounce\n"+long, "alice@example.org")

	list, err := c.Queue.ListQueue(ctx, pagesReq(&adminv1.ListQueueRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	msgs := list.Msg.GetMessages()
	if len(msgs) != 2 || msgs[0].GetId() != one.ID || msgs[1].GetId() != two.ID {
		t.Fatalf("listed %v", msgs)
	}
	if m := msgs[0]; m.GetFrom() != "alice@example.org" || m.GetSize() != int64(len(first)) || len(m.GetRecipients()) != 2 ||
		m.GetRecipients()[1].GetAddress() != "carol@example.net" || m.GetRecipients()[1].GetStatus() != "pending" || m.GetRecipients()[1].GetLocal() {
		t.Errorf("first message %v", m)
	}

	shown, err := c.Queue.GetQueuedMessage(ctx, pagesReq(&adminv1.GetQueuedMessageRequest{Id: one.ID}))
	if err != nil {
		t.Fatal(err)
	}
	wantHeaders := "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Hello\r\n"
	if shown.Msg.GetHeaders() != wantHeaders || shown.Msg.GetBodySize() != int64(len("Body line\r\n")) || len(shown.Msg.GetMessage().GetRecipients()) != 2 {
		t.Errorf("shown headers %q, body size %d, message %v", shown.Msg.GetHeaders(), shown.Msg.GetBodySize(), shown.Msg.GetMessage())
	}
	shown, err = c.Queue.GetQueuedMessage(ctx, pagesReq(&adminv1.GetQueuedMessageRequest{Id: two.ID}))
	if err != nil {
		t.Fatal(err)
	}
	if shown.Msg.GetHeaders() != "Subject: Bounce\n"+long || shown.Msg.GetBodySize() != 0 {
		t.Errorf("shown headers of %d bytes, body size %d", len(shown.Msg.GetHeaders()), shown.Msg.GetBodySize())
	}
	_, err = c.Queue.GetQueuedMessage(ctx, pagesReq(&adminv1.GetQueuedMessageRequest{Id: 4242}))
	pagesCode(t, err, connect.CodeNotFound)

	wakes := engine.wakes()
	if _, err := c.Queue.SendNow(ctx, pagesReq(&adminv1.SendNowRequest{Id: one.ID})); err != nil {
		t.Fatal(err)
	}
	if engine.wakes() != wakes+1 {
		t.Error("SendNow did not wake the queue")
	}
	if m, err := api.Store.QueuedMessage(ctx, one.ID); err != nil || m.NextTryAt >= 4_000_000_000 {
		t.Errorf("next try %d (%v) after SendNow, want now", m.NextTryAt, err)
	}
	_, err = c.Queue.SendNow(ctx, pagesReq(&adminv1.SendNowRequest{Id: 4242}))
	pagesCode(t, err, connect.CodeNotFound)

	if _, err := c.Queue.RemoveQueued(ctx, pagesReq(&adminv1.RemoveQueuedRequest{Id: one.ID})); err != nil {
		t.Fatal(err)
	}
	if queueFileExists(t, api.Store, one.Path) {
		t.Error("the removed message's file is still there")
	}
	if !queueFileExists(t, api.Store, two.Path) {
		t.Error("the other message's file went too")
	}
	_, err = c.Queue.RemoveQueued(ctx, pagesReq(&adminv1.RemoveQueuedRequest{Id: one.ID}))
	pagesCode(t, err, connect.CodeNotFound)

	cleared, err := c.Queue.ClearQueue(ctx, pagesReq(&adminv1.ClearQueueRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if cleared.Msg.GetRemoved() != 1 || queueFileExists(t, api.Store, two.Path) {
		t.Errorf("cleared %d; file left: %v", cleared.Msg.GetRemoved(), queueFileExists(t, api.Store, two.Path))
	}
	list, err = c.Queue.ListQueue(ctx, pagesReq(&adminv1.ListQueueRequest{}))
	if err != nil || len(list.Msg.GetMessages()) != 0 {
		t.Errorf("after clearing: %v, %v", list, err)
	}
	if !api.LogContains("admin: queued message removed") || !api.LogContains("admin: delivery queue cleared", "removed=1") {
		t.Error("the changes are not in the log")
	}
}

func TestQueuedMessageWithoutItsFileIsAFailedPrecondition(t *testing.T) {
	api := newTestAPI(t)
	c := api.AsAdmin(t)
	m := enqueueTestMessage(t, api.Store, "a@example.org", "Subject: x\r\n\r\n", "b@example.net")
	if err := api.Store.Files().Remove(m.Path); err != nil {
		t.Fatal(err)
	}
	_, err := c.Queue.GetQueuedMessage(testContext(t), pagesReq(&adminv1.GetQueuedMessageRequest{Id: m.ID}))
	pagesCode(t, err, connect.CodeFailedPrecondition)
}

// TestServerPagesAreForServerAdministratorsOnly calls every method of the
// server-wide services as a domain administrator and as a user.
func TestServerPagesAreForServerAdministratorsOnly(t *testing.T) {
	api := newTestAPI(t, func(o *Options) { o.Engine = newPagesEngine() })
	api.CreateAccount(t, "domainadmin@example.com", "password-1", store.AdminDomain)
	api.CreateAccount(t, "user@example.com", "password-2", store.AdminUser)
	admin := api.AsAdmin(t)
	queued := enqueueTestMessage(t, api.Store, "a@example.org", "Subject: x\r\n\r\n", "b@example.net")
	ranges := listRanges(t, admin)

	calls := []struct {
		name string
		call func(ctx context.Context, c *Client) error
	}{
		{"ListIPRanges", func(ctx context.Context, c *Client) error {
			_, err := c.IPRanges.ListIPRanges(ctx, pagesReq(&adminv1.ListIPRangesRequest{}))
			return err
		}},
		{"CreateIPRange", func(ctx context.Context, c *Client) error {
			_, err := c.IPRanges.CreateIPRange(ctx, pagesReq(&adminv1.IPRange{Name: "x", LowerIp: "10.0.0.1", UpperIp: "10.0.0.2"}))
			return err
		}},
		{"UpdateIPRange", func(ctx context.Context, c *Client) error {
			_, err := c.IPRanges.UpdateIPRange(ctx, pagesReq(ranges[0]))
			return err
		}},
		{"DeleteIPRange", func(ctx context.Context, c *Client) error {
			_, err := c.IPRanges.DeleteIPRange(ctx, pagesReq(&adminv1.DeleteIPRangeRequest{Id: ranges[0].GetId()}))
			return err
		}},
		{"ListPorts", func(ctx context.Context, c *Client) error {
			_, err := c.Ports.ListPorts(ctx, pagesReq(&adminv1.ListPortsRequest{}))
			return err
		}},
		{"CreatePort", func(ctx context.Context, c *Client) error {
			_, err := c.Ports.CreatePort(ctx, pagesReq(&adminv1.Port{Protocol: "smtp", Address: "0.0.0.0", Port: 2600}))
			return err
		}},
		{"DeletePort", func(ctx context.Context, c *Client) error {
			_, err := c.Ports.DeletePort(ctx, pagesReq(&adminv1.DeletePortRequest{Id: 1}))
			return err
		}},
		{"ListCertificates", func(ctx context.Context, c *Client) error {
			_, err := c.Ports.ListCertificates(ctx, pagesReq(&adminv1.ListCertificatesRequest{}))
			return err
		}},
		{"CreateCertificate", func(ctx context.Context, c *Client) error {
			_, err := c.Ports.CreateCertificate(ctx, pagesReq(&adminv1.Certificate{Name: "x", CertificateFile: "a", PrivateKeyFile: "b"}))
			return err
		}},
		{"DeleteCertificate", func(ctx context.Context, c *Client) error {
			_, err := c.Ports.DeleteCertificate(ctx, pagesReq(&adminv1.DeleteCertificateRequest{Id: 1}))
			return err
		}},
		{"ListSettings", func(ctx context.Context, c *Client) error {
			_, err := c.Settings.ListSettings(ctx, pagesReq(&adminv1.ListSettingsRequest{}))
			return err
		}},
		{"SetSettings", func(ctx context.Context, c *Client) error {
			_, err := c.Settings.SetSettings(ctx, pagesReq(&adminv1.SetSettingsRequest{Values: map[string]string{"HostName": "evil.example"}}))
			return err
		}},
		{"ListServerMessages", func(ctx context.Context, c *Client) error {
			_, err := c.Settings.ListServerMessages(ctx, pagesReq(&adminv1.ListServerMessagesRequest{}))
			return err
		}},
		{"SetServerMessage", func(ctx context.Context, c *Client) error {
			_, err := c.Settings.SetServerMessage(ctx, pagesReq(&adminv1.ServerMessage{Name: "VIRUS_FOUND", Text: "x"}))
			return err
		}},
		{"ListRoutes", func(ctx context.Context, c *Client) error {
			_, err := c.Routes.ListRoutes(ctx, pagesReq(&adminv1.ListRoutesRequest{}))
			return err
		}},
		{"CreateRoute", func(ctx context.Context, c *Client) error {
			_, err := c.Routes.CreateRoute(ctx, pagesReq(&adminv1.Route{Domain: "x.example", TargetHost: "y.example", TargetPort: 25}))
			return err
		}},
		{"UpdateRoute", func(ctx context.Context, c *Client) error {
			_, err := c.Routes.UpdateRoute(ctx, pagesReq(&adminv1.Route{Id: 1, Domain: "x.example", TargetHost: "y.example", TargetPort: 25}))
			return err
		}},
		{"DeleteRoute", func(ctx context.Context, c *Client) error {
			_, err := c.Routes.DeleteRoute(ctx, pagesReq(&adminv1.DeleteRouteRequest{Id: 1}))
			return err
		}},
		{"ListQueue", func(ctx context.Context, c *Client) error {
			_, err := c.Queue.ListQueue(ctx, pagesReq(&adminv1.ListQueueRequest{}))
			return err
		}},
		{"GetQueuedMessage", func(ctx context.Context, c *Client) error {
			_, err := c.Queue.GetQueuedMessage(ctx, pagesReq(&adminv1.GetQueuedMessageRequest{Id: queued.ID}))
			return err
		}},
		{"SendNow", func(ctx context.Context, c *Client) error {
			_, err := c.Queue.SendNow(ctx, pagesReq(&adminv1.SendNowRequest{Id: queued.ID}))
			return err
		}},
		{"RemoveQueued", func(ctx context.Context, c *Client) error {
			_, err := c.Queue.RemoveQueued(ctx, pagesReq(&adminv1.RemoveQueuedRequest{Id: queued.ID}))
			return err
		}},
		{"ClearQueue", func(ctx context.Context, c *Client) error {
			_, err := c.Queue.ClearQueue(ctx, pagesReq(&adminv1.ClearQueueRequest{}))
			return err
		}},
		{"GetStatus", func(ctx context.Context, c *Client) error {
			_, err := c.Status.GetStatus(ctx, pagesReq(&adminv1.GetStatusRequest{}))
			return err
		}},
		{"StartServer", func(ctx context.Context, c *Client) error {
			_, err := c.Status.StartServer(ctx, pagesReq(&adminv1.StartServerRequest{}))
			return err
		}},
		{"StopServer", func(ctx context.Context, c *Client) error {
			_, err := c.Status.StopServer(ctx, pagesReq(&adminv1.StopServerRequest{}))
			return err
		}},
		{"MXQuery", func(ctx context.Context, c *Client) error {
			_, err := c.Status.MXQuery(ctx, pagesReq(&adminv1.MXQueryRequest{Address: "example.invalid"}))
			return err
		}},
		{"FollowLog", func(ctx context.Context, c *Client) error {
			stream, err := c.Status.FollowLog(ctx, pagesReq(&adminv1.FollowLogRequest{Backlog: 10}))
			if err != nil {
				return err
			}
			defer stream.Close()
			for stream.Receive() {
				return errors.New("a log line reached a caller without the right")
			}
			return stream.Err()
		}},
	}
	for _, who := range []struct{ name, address, password string }{
		{"domain_administrator", "domainadmin@example.com", "password-1"},
		{"user", "user@example.com", "password-2"},
	} {
		c := api.As(t, who.address, who.password)
		for _, call := range calls {
			t.Run(who.name+"/"+call.name+"_is_denied", func(t *testing.T) {
				pagesCode(t, call.call(testContext(t), c), connect.CodePermissionDenied)
			})
		}
	}
	// Nothing the denied calls tried happened.
	if got := listRanges(t, admin); len(got) != len(ranges) {
		t.Errorf("%d IP ranges, want %d", len(got), len(ranges))
	}
	if m, err := api.Store.QueuedMessage(testContext(t), queued.ID); err != nil || m.NextTryAt != queued.NextTryAt {
		t.Errorf("the queued message changed: %+v, %v", m, err)
	}
	if v, _ := api.Store.Setting(testContext(t), "HostName"); v != "" {
		t.Errorf("HostName = %q", v)
	}
}
