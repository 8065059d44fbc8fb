package main

// ctl's commands for the server-wide pages: IP ranges, TCP/IP ports, SSL
// certificates, settings, server messages, routes, the delivery queue, and
// the Status page's status, start, stop, MX query and live log.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

func ctlServerCommands() []*ctlCommand {
	return []*ctlCommand{
		{path: "iprange list", summary: "list the IP ranges", run: ipRangeList},
		{path: "iprange show", args: []string{"NAME"}, summary: "show an IP range", run: ipRangeShow},
		{path: "iprange add", args: []string{"NAME"}, summary: "add an IP range (--upper-ip defaults to --lower-ip)",
			fields: &adminv1.IPRange{}, fixed: []string{"name"}, run: ipRangeAdd},
		{path: "iprange set", args: []string{"NAME"}, summary: "change an IP range (--name renames it)",
			fields: &adminv1.IPRange{}, run: ipRangeSet},
		{path: "iprange delete", args: []string{"NAME"}, summary: "delete an IP range", run: ipRangeDelete},

		{path: "port list", summary: "list the TCP/IP ports", run: portList},
		{path: "port add", args: []string{"PROTOCOL", "ADDRESS:PORT"}, summary: "add a TCP/IP port for smtp, pop3 or imap",
			options: []ctlOption{{"certificate", "NAME", "the SSL certificate of a TLS or STARTTLS port"}},
			fields:  &adminv1.Port{}, fixed: []string{"protocol", "address", "port"}, run: portAdd},
		{path: "port delete", args: []string{"ADDRESS:PORT"}, summary: "delete a TCP/IP port", run: portDelete},

		{path: "cert list", summary: "list the SSL certificates", run: certList},
		{path: "cert add", args: []string{"NAME"}, summary: "add an SSL certificate from PEM files on the server",
			fields: &adminv1.Certificate{}, fixed: []string{"name"}, run: certAdd},
		{path: "cert delete", args: []string{"NAME"}, summary: "delete an SSL certificate", run: certDelete},

		{path: "setting list", args: []string{"[PREFIX]"}, summary: "list the settings (whose names start with PREFIX) with their values and defaults", run: settingList},
		{path: "setting get", args: []string{"NAME"}, summary: "print a setting's value", run: settingGet},
		{path: "setting set", args: []string{"NAME=VALUE..."}, summary: "change settings, all or none", run: settingSet},

		{path: "message list", summary: "list the server messages", run: messageList},
		{path: "message get", args: []string{"NAME"}, summary: "print a server message's text", run: messageGet},
		{path: "message set", args: []string{"NAME"}, summary: "change a server message's text, read from stdin",
			notes: []string{"The text is the rest of stdin (after the login password with --password-stdin), without\nits last line break."},
			run:   messageSet},

		{path: "route list", summary: "list the routes", run: routeList},
		{path: "route show", args: []string{"DOMAIN"}, summary: "show a route (its password is never shown)", run: routeShow},
		{path: "route add", args: []string{"DOMAIN"}, summary: "add a route for a domain",
			options: []ctlOption{{"route-password-stdin", "", "read the password for the target host from stdin"}},
			fields:  &adminv1.Route{}, fixed: []string{"domain", "password"}, run: routeAdd},
		{path: "route set", args: []string{"DOMAIN"}, summary: "change a route (--domain moves it to another domain)",
			options: []ctlOption{{"route-password-stdin", "", "read a new password for the target host from stdin"}},
			fields:  &adminv1.Route{}, fixed: []string{"password"}, run: routeSet},
		{path: "route delete", args: []string{"DOMAIN"}, summary: "delete a route", run: routeDelete},

		{path: "queue list", summary: "list the delivery queue", run: queueList},
		{path: "queue show", args: []string{"ID"}, summary: "show a queued message with its recipients and headers", run: queueShow},
		{path: "queue send", args: []string{"ID"}, summary: "try to deliver a queued message now", run: queueSend},
		{path: "queue remove", args: []string{"ID"}, summary: "remove a message from the queue", run: queueRemove},
		{path: "queue clear", summary: "remove every message from the queue", run: queueClear},

		{path: "status", summary: "show the server's version, start time, database, counters, sessions and warnings", run: statusShow},
		{path: "start", summary: "start the mail server's listeners and delivery (not the process)", run: serverStart},
		{path: "stop", summary: "stop the mail server's listeners and delivery (not the process)", run: serverStop},
		{path: "mx", args: []string{"ADDRESS"}, summary: "list the mail servers of an address's (or a domain's) domain", run: mxQuery},
		{path: "log follow", summary: "print the application log as it is written, until interrupted",
			options: []ctlOption{
				{"filter", "TEXT", "only lines containing TEXT (any case)"},
				{"backlog", "N", "first print up to N recent lines (at most 1000)"},
			}, run: logFollow},
		{path: "whoami", summary: "show who the login is and its administration level", run: whoAmI},
	}
}

// IP ranges.

// allIPRanges reads every IP range, a page at a time.
func (c *ctlCall) allIPRanges() (*adminv1.ListIPRangesResponse, error) {
	all := &adminv1.ListIPRangesResponse{}
	for {
		resp, err := unary(c, c.client.IPRanges.ListIPRanges, &adminv1.ListIPRangesRequest{Limit: 1000, Offset: int32(len(all.Ranges))})
		if err != nil {
			return nil, err
		}
		all.Ranges = append(all.Ranges, resp.GetRanges()...)
		all.Total = resp.GetTotal()
		if len(resp.GetRanges()) == 0 || len(all.Ranges) >= int(resp.GetTotal()) {
			return all, nil
		}
	}
}

func (c *ctlCall) ipRange(name string) (*adminv1.IPRange, error) {
	resp, err := c.allIPRanges()
	if err != nil {
		return nil, err
	}
	var found []*adminv1.IPRange
	for _, r := range resp.GetRanges() {
		if strings.EqualFold(r.GetName(), name) {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("there is no IP range %q", name)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%d IP ranges are called %q: rename one in the Administrator first", len(found), name)
}

func ipRangeList(c *ctlCall) error {
	resp, err := c.allIPRanges()
	if err != nil {
		return err
	}
	return c.print(resp, func(w io.Writer) error {
		return printTable(w, resp.GetRanges(), []string{"name", "priority", "lower-ip", "upper-ip", "allow-smtp", "allow-pop3", "allow-imap", "expires-at"}, "no IP ranges")
	})
}

func ipRangeShow(c *ctlCall) error {
	r, err := c.ipRange(c.args[0])
	if err != nil {
		return err
	}
	return c.print(r, func(w io.Writer) error { return printObject(w, r) })
}

func ipRangeAdd(c *ctlCall) error {
	r := &adminv1.IPRange{Name: c.args[0]}
	if err := c.applyFields(r); err != nil {
		return err
	}
	if r.GetUpperIp() == "" {
		r.UpperIp = r.GetLowerIp()
	}
	created, err := unary(c, c.client.IPRanges.CreateIPRange, r)
	if err != nil {
		return err
	}
	return c.done(created, "added IP range %s", created.GetName())
}

func ipRangeSet(c *ctlCall) error {
	r, err := c.ipRange(c.args[0])
	if err != nil {
		return err
	}
	if err := c.changeFields(r); err != nil {
		return err
	}
	updated, err := unary(c, c.client.IPRanges.UpdateIPRange, r)
	if err != nil {
		return err
	}
	return c.done(updated, "changed IP range %s", updated.GetName())
}

func ipRangeDelete(c *ctlCall) error {
	r, err := c.ipRange(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.IPRanges.DeleteIPRange, &adminv1.DeleteIPRangeRequest{Id: r.GetId()})
	if err != nil {
		return err
	}
	return c.done(resp, "deleted IP range %s", r.GetName())
}

// Ports and certificates.

func (c *ctlCall) certificates() ([]*adminv1.Certificate, error) {
	resp, err := unary(c, c.client.Ports.ListCertificates, &adminv1.ListCertificatesRequest{})
	return resp.GetCertificates(), err
}

func (c *ctlCall) certificate(name string) (*adminv1.Certificate, error) {
	certs, err := c.certificates()
	if err != nil {
		return nil, err
	}
	for _, cert := range certs {
		if strings.EqualFold(cert.GetName(), name) {
			return cert, nil
		}
	}
	return nil, fmt.Errorf("there is no SSL certificate %q", name)
}

func portList(c *ctlCall) error {
	resp, err := unary(c, c.client.Ports.ListPorts, &adminv1.ListPortsRequest{})
	if err != nil {
		return err
	}
	return c.print(resp, func(w io.Writer) error {
		if len(resp.GetPorts()) == 0 {
			_, err := fmt.Fprintln(w, "no TCP/IP ports")
			return err
		}
		certs, err := c.certificates()
		if err != nil {
			return err
		}
		names := map[int64]string{0: "-"}
		for _, cert := range certs {
			names[cert.GetId()] = cert.GetName()
		}
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "PROTOCOL\tADDRESS\tPORT\tSECURITY\tCERTIFICATE")
		for _, p := range resp.GetPorts() {
			fd := p.ProtoReflect().Descriptor().Fields().ByName("security")
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", p.GetProtocol(), p.GetAddress(), p.GetPort(),
				formatField(fd, p.ProtoReflect().Get(fd)), names[p.GetCertificateId()])
		}
		return tw.Flush()
	})
}

// parseHostPort reads "ADDRESS:PORT" ("[::]:143" for IPv6).
func parseHostPort(text string) (string, int32, error) {
	host, portText, err := net.SplitHostPort(text)
	if err != nil {
		return "", 0, fmt.Errorf("%q is not ADDRESS:PORT, such as 0.0.0.0:25", text)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("%q is not a port number", portText)
	}
	return host, int32(port), nil
}

func portAdd(c *ctlCall) error {
	host, port, err := parseHostPort(c.args[1])
	if err != nil {
		return err
	}
	p := &adminv1.Port{Protocol: strings.ToLower(c.args[0]), Address: host, Port: port}
	if err := c.applyFields(p); err != nil {
		return err
	}
	if name := c.option("certificate"); name != "" {
		cert, err := c.certificate(name)
		if err != nil {
			return err
		}
		p.CertificateId = cert.GetId()
	}
	created, err := unary(c, c.client.Ports.CreatePort, p)
	if err != nil {
		return err
	}
	return c.done(created, "added %s port %s", created.GetProtocol(), net.JoinHostPort(created.GetAddress(), strconv.Itoa(int(created.GetPort()))))
}

func portDelete(c *ctlCall) error {
	host, port, err := parseHostPort(c.args[0])
	if err != nil {
		return err
	}
	want, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%q is not an IP address", host)
	}
	resp, err := unary(c, c.client.Ports.ListPorts, &adminv1.ListPortsRequest{})
	if err != nil {
		return err
	}
	for _, p := range resp.GetPorts() {
		if addr, err := netip.ParseAddr(p.GetAddress()); err == nil && addr == want && p.GetPort() == port {
			deleted, err := unary(c, c.client.Ports.DeletePort, &adminv1.DeletePortRequest{Id: p.GetId()})
			if err != nil {
				return err
			}
			return c.done(deleted, "deleted %s port %s", p.GetProtocol(), c.args[0])
		}
	}
	return fmt.Errorf("there is no TCP/IP port %s", c.args[0])
}

func certList(c *ctlCall) error {
	resp, err := unary(c, c.client.Ports.ListCertificates, &adminv1.ListCertificatesRequest{})
	if err != nil {
		return err
	}
	return c.print(resp, func(w io.Writer) error {
		return printTable(w, resp.GetCertificates(), []string{"name", "certificate-file", "private-key-file"}, "no SSL certificates")
	})
}

func certAdd(c *ctlCall) error {
	cert := &adminv1.Certificate{Name: c.args[0]}
	if err := c.applyFields(cert); err != nil {
		return err
	}
	created, err := unary(c, c.client.Ports.CreateCertificate, cert)
	if err != nil {
		return err
	}
	return c.done(created, "added SSL certificate %s", created.GetName())
}

func certDelete(c *ctlCall) error {
	cert, err := c.certificate(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.Ports.DeleteCertificate, &adminv1.DeleteCertificateRequest{Id: cert.GetId()})
	if err != nil {
		return err
	}
	return c.done(resp, "deleted SSL certificate %s", cert.GetName())
}

// Settings and server messages.

func settingList(c *ctlCall) error {
	req := &adminv1.ListSettingsRequest{}
	if len(c.args) > 0 {
		req.Prefix = c.args[0]
	}
	resp, err := unary(c, c.client.Settings.ListSettings, req)
	if err != nil {
		return err
	}
	return c.print(resp, func(w io.Writer) error {
		return printTable(w, resp.GetSettings(), []string{"name", "value", "default-value", "kind"}, "no settings")
	})
}

func settingGet(c *ctlCall) error {
	resp, err := unary(c, c.client.Settings.ListSettings, &adminv1.ListSettingsRequest{Prefix: c.args[0]})
	if err != nil {
		return err
	}
	for _, s := range resp.GetSettings() {
		if strings.EqualFold(s.GetName(), c.args[0]) {
			return c.print(s, func(w io.Writer) error {
				_, err := fmt.Fprintln(w, s.GetValue())
				return err
			})
		}
	}
	return fmt.Errorf("there is no setting called %q (see \"setting list\")", c.args[0])
}

func settingSet(c *ctlCall) error {
	values := map[string]string{}
	for _, arg := range c.args {
		name, value, ok := strings.Cut(arg, "=")
		if !ok || name == "" {
			return fmt.Errorf("%q is not NAME=VALUE", arg)
		}
		values[name] = value
	}
	resp, err := unary(c, c.client.Settings.SetSettings, &adminv1.SetSettingsRequest{Values: values})
	if err != nil {
		return err
	}
	return c.print(resp, func(w io.Writer) error {
		return printTable(w, resp.GetSettings(), []string{"name", "value"}, "no settings changed")
	})
}

func messageList(c *ctlCall) error {
	resp, err := unary(c, c.client.Settings.ListServerMessages, &adminv1.ListServerMessagesRequest{})
	if err != nil {
		return err
	}
	return c.print(resp, func(w io.Writer) error {
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tTEXT")
		for _, m := range resp.GetMessages() {
			fmt.Fprintf(tw, "%s\t%s\n", m.GetName(), strings.ReplaceAll(strings.ReplaceAll(m.GetText(), "\r", `\r`), "\n", `\n`))
		}
		return tw.Flush()
	})
}

func messageGet(c *ctlCall) error {
	resp, err := unary(c, c.client.Settings.ListServerMessages, &adminv1.ListServerMessagesRequest{})
	if err != nil {
		return err
	}
	i := slices.IndexFunc(resp.GetMessages(), func(m *adminv1.ServerMessage) bool { return m.GetName() == c.args[0] })
	if i < 0 {
		return fmt.Errorf("there is no server message called %q (see \"message list\")", c.args[0])
	}
	m := resp.GetMessages()[i]
	return c.print(m, func(w io.Writer) error {
		_, err := fmt.Fprintln(w, m.GetText())
		return err
	})
}

func messageSet(c *ctlCall) error {
	text, err := io.ReadAll(c.stdin)
	if err != nil {
		return fmt.Errorf("reading the text from stdin: %w", err)
	}
	trimmed := strings.TrimSuffix(strings.TrimSuffix(string(text), "\n"), "\r")
	m, err := unary(c, c.client.Settings.SetServerMessage, &adminv1.ServerMessage{Name: c.args[0], Text: trimmed})
	if err != nil {
		return err
	}
	return c.done(m, "changed server message %s", m.GetName())
}

// Routes.

func (c *ctlCall) route(domain string) (*adminv1.Route, error) {
	resp, err := unary(c, c.client.Routes.ListRoutes, &adminv1.ListRoutesRequest{})
	if err != nil {
		return nil, err
	}
	for _, r := range resp.GetRoutes() {
		if strings.EqualFold(r.GetDomain(), domain) {
			return r, nil
		}
	}
	return nil, fmt.Errorf("there is no route for %s", domain)
}

// routePassword reads the route's password when asked to.
func (c *ctlCall) routePassword(r *adminv1.Route) error {
	if !c.switchOn("route-password-stdin") {
		return nil
	}
	password, err := c.readLine("the route's password")
	r.Password = password
	return err
}

func routeList(c *ctlCall) error {
	resp, err := unary(c, c.client.Routes.ListRoutes, &adminv1.ListRoutesRequest{})
	if err != nil {
		return err
	}
	return c.print(resp, func(w io.Writer) error {
		return printTable(w, resp.GetRoutes(), []string{"domain", "target-host", "target-port", "security", "tries", "minutes-between", "description"}, "no routes")
	})
}

func routeShow(c *ctlCall) error {
	r, err := c.route(c.args[0])
	if err != nil {
		return err
	}
	return c.print(r, func(w io.Writer) error { return printObject(w, r, "password") })
}

func routeAdd(c *ctlCall) error {
	r := &adminv1.Route{Domain: c.args[0]}
	if err := c.applyFields(r); err != nil {
		return err
	}
	if err := c.routePassword(r); err != nil {
		return err
	}
	created, err := unary(c, c.client.Routes.CreateRoute, r)
	if err != nil {
		return err
	}
	return c.done(created, "added route for %s", created.GetDomain())
}

func routeSet(c *ctlCall) error {
	r, err := c.route(c.args[0])
	if err != nil {
		return err
	}
	if len(c.fields) == 0 && !c.switchOn("route-password-stdin") {
		return errNothingToChange
	}
	if err := c.applyFields(r); err != nil {
		return err
	}
	if err := c.routePassword(r); err != nil {
		return err
	}
	updated, err := unary(c, c.client.Routes.UpdateRoute, r)
	if err != nil {
		return err
	}
	return c.done(updated, "changed route for %s", updated.GetDomain())
}

func routeDelete(c *ctlCall) error {
	r, err := c.route(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.Routes.DeleteRoute, &adminv1.DeleteRouteRequest{Id: r.GetId()})
	if err != nil {
		return err
	}
	return c.done(resp, "deleted route for %s", r.GetDomain())
}

// The delivery queue.

func queueID(text string) (int64, error) {
	id, err := strconv.ParseInt(text, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q is not a queue id (see \"queue list\")", text)
	}
	return id, nil
}

func recipientAddresses(m *adminv1.QueuedMessage) string {
	addresses := make([]string, 0, len(m.GetRecipients()))
	for _, r := range m.GetRecipients() {
		addresses = append(addresses, r.GetAddress())
	}
	return strings.Join(addresses, ",")
}

func queueList(c *ctlCall) error {
	resp, err := unary(c, c.client.Queue.ListQueue, &adminv1.ListQueueRequest{})
	if err != nil {
		return err
	}
	return c.print(resp, func(w io.Writer) error {
		if len(resp.GetMessages()) == 0 {
			_, err := fmt.Fprintln(w, "the delivery queue is empty")
			return err
		}
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tFROM\tSIZE\tTRIES\tNEXT-TRY\tRECIPIENTS")
		for _, m := range resp.GetMessages() {
			from := m.GetFrom()
			if from == "" {
				from = "<>"
			}
			fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\t%s\n", m.GetId(), from, m.GetSize(), m.GetTryCount(), formatTime(m.GetNextTryAt()), recipientAddresses(m))
		}
		return tw.Flush()
	})
}

func queueShow(c *ctlCall) error {
	id, err := queueID(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.Queue.GetQueuedMessage, &adminv1.GetQueuedMessageRequest{Id: id})
	if err != nil {
		return notFound(err, "message %d in the queue", id)
	}
	return c.print(resp, func(w io.Writer) error {
		if err := printObject(w, resp.GetMessage(), "recipients"); err != nil {
			return err
		}
		fmt.Fprintf(w, "body-size: %d\n\nrecipients:\n", resp.GetBodySize())
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		for _, r := range resp.GetMessage().GetRecipients() {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.GetAddress(), r.GetStatus(), r.GetLastReply())
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err := fmt.Fprintf(w, "\n%s", resp.GetHeaders())
		return err
	})
}

func queueSend(c *ctlCall) error {
	id, err := queueID(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.Queue.SendNow, &adminv1.SendNowRequest{Id: id})
	if err != nil {
		return notFound(err, "message %d in the queue", id)
	}
	return c.done(resp, "message %d will be tried now", id)
}

func queueRemove(c *ctlCall) error {
	id, err := queueID(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.Queue.RemoveQueued, &adminv1.RemoveQueuedRequest{Id: id})
	if err != nil {
		return notFound(err, "message %d in the queue", id)
	}
	return c.done(resp, "removed message %d from the queue", id)
}

func queueClear(c *ctlCall) error {
	resp, err := unary(c, c.client.Queue.ClearQueue, &adminv1.ClearQueueRequest{})
	if err != nil {
		return err
	}
	return c.done(resp, "removed %s from the queue", countOf(int(resp.GetRemoved()), "message"))
}

// Status and utilities.

func printStatus(w io.Writer, s *adminv1.Status) error {
	running := "stopped"
	if s.GetRunning() {
		running = "running"
	}
	location := s.GetDatabaseLocation()
	if location != "" {
		location = " (" + location + ")"
	}
	tw := tabwriter.NewWriter(w, 0, 8, 1, ' ', 0)
	fmt.Fprintf(tw, "version:\t%s\n", s.GetVersion())
	fmt.Fprintf(tw, "mail server:\t%s\n", running)
	fmt.Fprintf(tw, "started:\t%s\n", formatTime(s.GetStartedAt()))
	fmt.Fprintf(tw, "database:\t%s%s\n", s.GetDatabaseType(), location)
	fmt.Fprintf(tw, "queue length:\t%d\n", s.GetQueueLength())
	for _, field := range []string{"counters", "sessions"} {
		fd := s.ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(field))
		fmt.Fprintf(tw, "%s:\t%s\n", field, formatField(fd, s.ProtoReflect().Get(fd)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.GetWarnings()) == 0 {
		_, err := fmt.Fprintln(w, "warnings:     none")
		return err
	}
	fmt.Fprintln(w, "warnings:")
	for _, warning := range s.GetWarnings() {
		fmt.Fprintf(w, "  - %s\n", warning)
	}
	return nil
}

func statusShow(c *ctlCall) error {
	s, err := unary(c, c.client.Status.GetStatus, &adminv1.GetStatusRequest{})
	if err != nil {
		return err
	}
	return c.print(s, func(w io.Writer) error { return printStatus(w, s) })
}

func serverStart(c *ctlCall) error {
	s, err := unary(c, c.client.Status.StartServer, &adminv1.StartServerRequest{})
	if err != nil {
		return err
	}
	return c.done(s, "the mail server is running")
}

func serverStop(c *ctlCall) error {
	s, err := unary(c, c.client.Status.StopServer, &adminv1.StopServerRequest{})
	if err != nil {
		return err
	}
	return c.done(s, "the mail server is stopped (the administration RPC still answers)")
}

func mxQuery(c *ctlCall) error {
	resp, err := unary(c, c.client.Status.MXQuery, &adminv1.MXQueryRequest{Address: c.args[0]})
	if err != nil {
		return err
	}
	return c.print(resp, func(w io.Writer) error {
		return printTable(w, resp.GetHosts(), []string{"preference", "host", "addresses"}, "no mail servers")
	})
}

// logFollow prints log lines until the user interrupts it; the server
// ending the stream is an error, so a script notices.
func logFollow(c *ctlCall) error {
	req := &adminv1.FollowLogRequest{Filter: c.option("filter")}
	if text := c.option("backlog"); text != "" {
		n, err := strconv.ParseInt(text, 10, 32)
		if err != nil || n < 0 {
			return fmt.Errorf("--backlog: %q is not a number of lines", text)
		}
		req.Backlog = int32(n)
	}
	stream, err := c.client.Status.FollowLog(c.ctx, connect.NewRequest(req))
	if err != nil {
		return err
	}
	defer stream.Close()
	for stream.Receive() {
		line := stream.Msg()
		if c.settings.json {
			out, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(line)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(c.stdout, "%s\n", out)
			if err != nil {
				return err
			}
			continue
		}
		if _, err := fmt.Fprintln(c.stdout, strings.TrimRight(line.GetText(), "\n")); err != nil {
			return err
		}
	}
	if c.ctx.Err() != nil {
		return nil // interrupted: the normal end
	}
	if err := stream.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return errors.New("the server ended the log stream")
}

func whoAmI(c *ctlCall) error {
	who, err := unary(c, c.client.Auth.WhoAmI, &adminv1.WhoAmIRequest{})
	if err != nil {
		return err
	}
	return c.print(who, func(w io.Writer) error {
		fd := who.ProtoReflect().Descriptor().Fields().ByName("level")
		_, err := fmt.Fprintf(w, "%s (administration level: %s)\n", who.GetUsername(), formatField(fd, who.ProtoReflect().Get(fd)))
		return err
	})
}
