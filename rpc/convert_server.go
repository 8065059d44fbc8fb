package rpc

import (
	"fmt"
	"net/netip"
	"strings"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

// Conversions between the API's messages and the store's objects for the
// server-wide pages: IP ranges, TCP/IP ports, certificates, settings,
// server messages, routes and the delivery queue.

// maxPathBytes bounds a file name (a certificate or key file).
const maxPathBytes = 4096

// badField is a ValidationError on field, for toConnect.
func badField(field, format string, args ...any) error {
	return toConnect(&store.ValidationError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// parseAddress reads an IP address field; empty stays the zero Addr, which
// the store refuses with its own message.
func parseAddress(field, text string) (netip.Addr, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(text)
	if err != nil {
		return netip.Addr{}, badField(field, "%q is not an IP address", text)
	}
	return a, nil
}

func deliveriesToProto(d store.Deliveries) *adminv1.Deliveries {
	return &adminv1.Deliveries{
		LocalToLocal:       d.LocalToLocal,
		LocalToExternal:    d.LocalToExternal,
		ExternalToLocal:    d.ExternalToLocal,
		ExternalToExternal: d.ExternalToExternal,
	}
}

func deliveriesFromProto(d *adminv1.Deliveries) store.Deliveries {
	return store.Deliveries{
		LocalToLocal:       d.GetLocalToLocal(),
		LocalToExternal:    d.GetLocalToExternal(),
		ExternalToLocal:    d.GetExternalToLocal(),
		ExternalToExternal: d.GetExternalToExternal(),
	}
}

func ipRangeToProto(r store.IPRange) *adminv1.IPRange {
	return &adminv1.IPRange{
		Id:          r.ID,
		Name:        r.Name,
		Priority:    int32(r.Priority),
		LowerIp:     r.Lower.String(),
		UpperIp:     r.Upper.String(),
		Expires:     r.Expires,
		ExpiresAt:   r.ExpiresAt,
		AllowSmtp:   r.AllowSMTP,
		AllowPop3:   r.AllowPOP3,
		AllowImap:   r.AllowIMAP,
		Allow:       deliveriesToProto(r.Allow),
		RequireAuth: deliveriesToProto(r.Require),
		AntiSpam:    r.AntiSpam,
		AntiVirus:   r.AntiVirus,
	}
}

// ipRangeFromProto checks the request's sizes and addresses and returns
// the store's range; the store checks the rest.
func ipRangeFromProto(r *adminv1.IPRange) (store.IPRange, error) {
	if err := checkFieldSizes(nameField("name", r.GetName()), nameField("lower_ip", r.GetLowerIp()), nameField("upper_ip", r.GetUpperIp())); err != nil {
		return store.IPRange{}, err
	}
	lower, err := parseAddress("lower_ip", r.GetLowerIp())
	if err != nil {
		return store.IPRange{}, err
	}
	upper, err := parseAddress("upper_ip", r.GetUpperIp())
	if err != nil {
		return store.IPRange{}, err
	}
	return store.IPRange{
		ID:        r.GetId(),
		Name:      strings.TrimSpace(r.GetName()),
		Priority:  int(r.GetPriority()),
		Lower:     lower.Unmap().WithZone(""),
		Upper:     upper.Unmap().WithZone(""),
		Expires:   r.GetExpires(),
		ExpiresAt: r.GetExpiresAt(),
		AllowSMTP: r.GetAllowSmtp(),
		AllowPOP3: r.GetAllowPop3(),
		AllowIMAP: r.GetAllowImap(),
		Allow:     deliveriesFromProto(r.GetAllow()),
		Require:   deliveriesFromProto(r.GetRequireAuth()),
		AntiSpam:  r.GetAntiSpam(),
		AntiVirus: r.GetAntiVirus(),
	}, nil
}

func portToProto(p store.Port) *adminv1.Port {
	return &adminv1.Port{
		Id:            p.ID,
		Protocol:      p.Protocol,
		Address:       p.Address.String(),
		Port:          int32(p.Port),
		Security:      adminv1.ConnectionSecurity(p.Security),
		CertificateId: p.CertificateID,
	}
}

func portFromProto(p *adminv1.Port) (store.Port, error) {
	if err := checkFieldSizes(nameField("protocol", p.GetProtocol()), nameField("address", p.GetAddress())); err != nil {
		return store.Port{}, err
	}
	addr, err := parseAddress("address", p.GetAddress())
	if err != nil {
		return store.Port{}, err
	}
	return store.Port{
		ID:            p.GetId(),
		Protocol:      strings.TrimSpace(p.GetProtocol()),
		Address:       addr,
		Port:          int(p.GetPort()),
		Security:      store.ConnectionSecurity(p.GetSecurity()),
		CertificateID: p.GetCertificateId(),
	}, nil
}

func certificateToProto(c store.Certificate) *adminv1.Certificate {
	return &adminv1.Certificate{Id: c.ID, Name: c.Name, CertificateFile: c.CertificateFile, PrivateKeyFile: c.PrivateKeyFile}
}

func certificateFromProto(c *adminv1.Certificate) (store.Certificate, error) {
	err := checkFieldSizes(nameField("name", c.GetName()),
		sizedField{"certificate_file", c.GetCertificateFile(), maxPathBytes},
		sizedField{"private_key_file", c.GetPrivateKeyFile(), maxPathBytes})
	if err != nil {
		return store.Certificate{}, err
	}
	return store.Certificate{ID: c.GetId(), Name: c.GetName(), CertificateFile: c.GetCertificateFile(), PrivateKeyFile: c.GetPrivateKeyFile()}, nil
}

// settingKindNames are the kinds as the API spells them.
var settingKindNames = map[store.SettingKind]string{
	store.SettingText: "text",
	store.SettingInt:  "int",
	store.SettingBool: "bool",
}

func settingToProto(info store.SettingInfo, value string) *adminv1.Setting {
	return &adminv1.Setting{
		Name:         info.Name,
		Kind:         settingKindNames[info.Kind],
		Value:        value,
		DefaultValue: info.Default,
		Min:          int32(info.Min),
		Max:          int32(info.Max),
	}
}

func serverMessageToProto(m store.ServerMessage) *adminv1.ServerMessage {
	return &adminv1.ServerMessage{Id: m.ID, Name: m.Name, Text: m.Text}
}

// routeToProto never gives the password back: it is write-only.
func routeToProto(r store.Route) *adminv1.Route {
	return &adminv1.Route{
		Id:                    r.ID,
		Domain:                r.Domain,
		Description:           r.Description,
		TargetHost:            r.TargetHost,
		TargetPort:            int32(r.TargetPort),
		Security:              adminv1.ConnectionSecurity(r.Security),
		Tries:                 int32(r.Tries),
		MinutesBetween:        int32(r.MinutesBetween),
		TreatSenderAsLocal:    r.TreatSenderAsLocal,
		TreatRecipientAsLocal: r.TreatRecipientAsLocal,
		RequiresAuth:          r.RequiresAuth,
		Username:              r.Username,
		AllAddresses:          r.AllAddresses,
		Addresses:             r.Addresses,
	}
}

func routeFromProto(r *adminv1.Route) (store.Route, error) {
	fields := []sizedField{
		nameField("domain", r.GetDomain()),
		textField("description", r.GetDescription()),
		nameField("target_host", r.GetTargetHost()),
		nameField("username", r.GetUsername()),
		nameField("password", r.GetPassword()),
	}
	for _, a := range r.GetAddresses() {
		fields = append(fields, nameField("addresses", a))
	}
	if err := checkFieldSizes(fields...); err != nil {
		return store.Route{}, err
	}
	return store.Route{
		ID:                    r.GetId(),
		Domain:                strings.TrimSpace(r.GetDomain()),
		Description:           r.GetDescription(),
		TargetHost:            strings.TrimSpace(r.GetTargetHost()),
		TargetPort:            int(r.GetTargetPort()),
		Security:              store.ConnectionSecurity(r.GetSecurity()),
		Tries:                 int(r.GetTries()),
		MinutesBetween:        int(r.GetMinutesBetween()),
		TreatSenderAsLocal:    r.GetTreatSenderAsLocal(),
		TreatRecipientAsLocal: r.GetTreatRecipientAsLocal(),
		RequiresAuth:          r.GetRequiresAuth(),
		Username:              r.GetUsername(),
		Password:              r.GetPassword(),
		AllAddresses:          r.GetAllAddresses(),
		Addresses:             r.GetAddresses(),
	}, nil
}

// recipientStatusNames are the recipient statuses as the API spells them.
var recipientStatusNames = map[int]string{
	store.RecipientPending:   "pending",
	store.RecipientDelivered: "delivered",
	store.RecipientFailed:    "failed",
}

// queuedToProto converts a queued message. Its texts came from SMTP
// clients, so they are made valid UTF-8 (a protobuf string must be).
func queuedToProto(m store.QueuedMessage) *adminv1.QueuedMessage {
	out := &adminv1.QueuedMessage{
		Id:        m.ID,
		From:      validUTF8(m.From),
		Size:      m.Size,
		CreatedAt: m.CreatedAt,
		NextTryAt: m.NextTryAt,
		TryCount:  int32(m.TryCount),
		LockedBy:  validUTF8(m.LockedBy),
	}
	for _, r := range m.Recipients {
		out.Recipients = append(out.Recipients, &adminv1.QueuedRecipient{
			Address:         validUTF8(r.Address),
			OriginalAddress: validUTF8(r.OriginalAddress),
			Local:           r.AccountID != 0,
			Status:          recipientStatusNames[r.Status],
			LastReply:       validUTF8(r.LastReply),
		})
	}
	return out
}

// validUTF8 replaces the bytes of s that are not UTF-8.
func validUTF8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
