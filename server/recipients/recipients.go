// Package recipients owns turning an RCPT TO address into the mailboxes and
// external addresses that receive the message — accounts, aliases,
// distribution lists, catch-all addresses, plus addressing, domain alias
// names and routes — and the locality of senders and recipients that the
// relay rules are decided on. It does not make the relay decision itself
// (that is the IP range's job, in policy) and it caches nothing between
// calls: every call reads the store.
package recipients

import (
	"context"
	"errors"
	"strings"

	"github.com/mailwright/mailwright/store"
)

// Target is one receiver of a message.
type Target struct {
	Address   string // the account's address for a local mailbox, else the external address
	AccountID int64  // 0: external (to be sent out by the delivery queue)
	Route     int64  // for external targets whose domain matches a route: the route id, else 0
}

// Sender is who is sending, as far as distribution lists care.
type Sender struct {
	Address       string // envelope sender ("" for bounces)
	Authenticated bool
	AuthAddress   string // the account the client authenticated as
}

// Resolver answers recipient and locality questions from the store.
type Resolver struct {
	store *store.Store
}

// New returns a Resolver reading st.
func New(st *store.Store) *Resolver {
	return &Resolver{store: st}
}

// IsLocalDomain reports whether domain is a local domain's primary name or
// one of its alias names. A disabled domain is still local.
func (r *Resolver) IsLocalDomain(ctx context.Context, domain string) (bool, error) {
	if store.ValidateDomainName("domain", domain) != nil {
		return false, nil // a local domain's names all contain a dot and are valid
	}
	_, err := r.store.DomainByName(ctx, domain)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	}
	return false, err
}

// SenderIsLocal reports whether a sender address counts as local for the
// relay rules: its domain is local, or it matches a route with "Treat
// sender as local domain" set. The empty sender (bounces) is external.
func (r *Resolver) SenderIsLocal(ctx context.Context, address string) (bool, error) {
	return r.isLocal(ctx, address, func(route store.Route) bool { return route.TreatSenderAsLocal })
}

// RecipientIsLocal reports whether a recipient address counts as local for
// the relay rules: its domain is local, or it matches a route with "Treat
// recipient as local domain" set. An alias on a local domain pointing
// outside is local: what the client asked for is a local address.
func (r *Resolver) RecipientIsLocal(ctx context.Context, address string) (bool, error) {
	return r.isLocal(ctx, address, func(route store.Route) bool { return route.TreatRecipientAsLocal })
}

func (r *Resolver) isLocal(ctx context.Context, address string, routeSaysLocal func(store.Route) bool) (bool, error) {
	domain, ok := domainOf(address)
	if !ok {
		return false, nil
	}
	local, err := r.IsLocalDomain(ctx, domain)
	if err != nil || local {
		return local, err
	}
	route, err := r.store.RouteForDomain(ctx, domain)
	switch {
	case err == nil:
		return routeSaysLocal(route), nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	}
	return false, err
}

// domainOf returns the part of an address after its last "@", if it reads
// as a domain name. Anything else cannot be a local domain, and is not sent
// to the database (PostgreSQL and MySQL refuse strings that are not UTF-8).
func domainOf(address string) (string, bool) {
	at := strings.LastIndexByte(address, '@')
	if at < 0 || store.ValidateDomainName("domain", address[at+1:]) != nil {
		return "", false
	}
	return address[at+1:], true
}
