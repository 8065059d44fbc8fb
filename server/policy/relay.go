package policy

import (
	"github.com/mailwright/mailwright/server/smtpreply"
	"github.com/mailwright/mailwright/store"
)

// Allows reports whether the range lets protocol ("smtp", "pop3" or "imap":
// store.ProtocolSMTP and so on) connect. A client matching no range has no
// access at all (manual: "hMailServer does not accept email from IP
// addresses which does not match any of the IP ranges"); the zero IPRange
// allows nothing, so that case needs no special handling.
func Allows(r store.IPRange, protocol string) bool {
	switch protocol {
	case store.ProtocolSMTP:
		return r.AllowSMTP
	case store.ProtocolPOP3:
		return r.AllowPOP3
	case store.ProtocolIMAP:
		return r.AllowIMAP
	}
	return false
}

// CheckRelay applies the range's relay rules to one recipient (manual: IP
// ranges, Allow deliveries and Require SMTP authentication). The sender is
// local when its domain is a local domain or a route treated as local; the
// recipient likewise. The pair picks one of the four cells: local to local,
// local to external, external to local, external to external. A cell the
// range does not allow gives smtpreply.DeliveryNotAllowed whether or not the
// client authenticated; a cell that needs authentication gives
// smtpreply.AuthRequired until the client has authenticated. Otherwise the
// recipient is accepted as far as relaying goes and CheckRelay returns nil.
func CheckRelay(r store.IPRange, senderLocal, recipientLocal, authenticated bool) error {
	allowed := deliveryCell(r.Allow, senderLocal, recipientLocal)
	needsAuth := deliveryCell(r.Require, senderLocal, recipientLocal)
	switch {
	case !allowed:
		return smtpreply.DeliveryNotAllowed
	case needsAuth && !authenticated:
		return smtpreply.AuthRequired
	}
	return nil
}

// deliveryCell reads the cell of a relay matrix for a sender and recipient.
func deliveryCell(d store.Deliveries, senderLocal, recipientLocal bool) bool {
	switch {
	case senderLocal && recipientLocal:
		return d.LocalToLocal
	case senderLocal:
		return d.LocalToExternal
	case recipientLocal:
		return d.ExternalToLocal
	default:
		return d.ExternalToExternal
	}
}
