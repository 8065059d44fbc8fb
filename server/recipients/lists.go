package recipients

import (
	"context"
	"slices"

	"github.com/mailwright/mailwright/server/smtpreply"
	"github.com/mailwright/mailwright/store"
)

// expandList checks that the sender may write to a distribution list and
// expands its members: accounts, aliases, external addresses and other
// lists. A member that cannot receive mail (an unknown local address, a
// disabled account, a list refusing the sender, a loop) is left out; the
// list as a whole is refused only for its own state or permissions.
func (x *expansion) expandList(ctx context.Context, list store.LocalAddress, p path) ([]Target, error) {
	if x.expandedLists[list.ID] {
		// Reached again through another list: its members are in already,
		// and a list that contains itself stops here.
		return nil, nil
	}
	x.expandedLists[list.ID] = true
	if !list.Active {
		return nil, smtpreply.ListNotActive
	}
	// Manual: "If you select this option only users with accounts on the
	// server will be able to send email to the distribution list."
	if list.RequireSMTPAuth && !x.from.Authenticated {
		return nil, smtpreply.NotAuthorized
	}
	members, err := x.store.ListMembers(ctx, list.ID)
	if err != nil {
		return nil, err
	}
	// The members' and the sender's domains and owners in two queries.
	if err := x.prefetch(ctx, append(slices.Clip(members), x.from.Address, x.from.AuthAddress, list.AnnouncerAddress)); err != nil {
		return nil, err
	}
	allowed, err := x.maySend(ctx, list, members)
	if err != nil {
		return nil, err
	}
	if !allowed {
		return nil, smtpreply.NotAuthorized
	}
	var out []Target
	next := p.throughList()
	for _, member := range members {
		targets, err := x.resolve(ctx, member, next)
		if err != nil {
			if _, refused := smtpreply.As(err); refused {
				continue
			}
			return nil, err
		}
		out = append(out, targets...)
	}
	return out, nil
}

// maySend applies the list's mode (manual: Distribution list → Mode):
// public lets anyone send, membership only its members, announcements only
// the announcer address. The envelope sender counts, and so does the
// account the client authenticated as; addresses compare ignoring case and
// domain alias names.
func (x *expansion) maySend(ctx context.Context, list store.LocalAddress, members []string) (bool, error) {
	var allowed []string
	switch list.Mode {
	case store.ListPublic:
		return true, nil
	case store.ListMembership:
		allowed = members
	case store.ListAnnouncements:
		allowed = []string{list.AnnouncerAddress}
	default:
		return false, nil
	}
	senders := []string{x.from.Address}
	if x.from.Authenticated {
		senders = append(senders, x.from.AuthAddress)
	}
	var canonicalSenders []string
	for _, s := range senders {
		if s == "" {
			continue
		}
		c, err := x.canonical(ctx, s)
		if err != nil {
			return false, err
		}
		canonicalSenders = append(canonicalSenders, c)
	}
	if len(canonicalSenders) == 0 {
		return false, nil
	}
	for _, a := range allowed {
		if a == "" {
			continue
		}
		c, err := x.canonical(ctx, a)
		if err != nil {
			return false, err
		}
		if slices.Contains(canonicalSenders, c) {
			return true, nil
		}
	}
	return false, nil
}
