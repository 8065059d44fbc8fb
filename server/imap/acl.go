package imap

import (
	"context"
	"strconv"
	"strings"

	"github.com/mailwright/mailwright/store"
)

// QUOTA (RFC 9208) over the account's maximum size, and ACL (RFC 4314)
// over the public folders' permissions. The manual's "IMAP Quota" and
// "IMAP ACL" switches (IMAPQuotaEnabled, IMAPACLEnabled) turn them off.

// quotaEnabled refuses a QUOTA command when the extension is off.
func (s *session) quotaEnabled(c *Command) bool {
	if !s.settings.Bool("IMAPQuotaEnabled") {
		s.tagged(c.Tag, "BAD", "", "QUOTA is disabled")
		return false
	}
	return true
}

// aclEnabled refuses an ACL command when the extension is off.
func (s *session) aclEnabled(c *Command) bool {
	if !s.settings.Bool("IMAPACLEnabled") {
		s.tagged(c.Tag, "BAD", "", "ACL is disabled")
		return false
	}
	return true
}

// quotaAccount reads the account for its quota root "": ok false after an
// error reply. An account without a maximum size has no quota root (RFC
// 9208 has no way to say "unlimited" but to name no root).
func (s *session) quotaAccount(ctx context.Context, tag string) (store.Account, bool) {
	account, err := s.srv.store.Account(ctx, s.account.ID)
	if err != nil {
		s.serverError(tag, "reading the account", err)
		return account, false
	}
	return account, true
}

// writeQuota writes the QUOTA response of the account's quota root "": its
// storage in KiB against its maximum size.
func (s *session) writeQuota(ctx context.Context, tag string, account store.Account) bool {
	size, err := s.srv.store.AccountSize(ctx, account.ID)
	if err != nil {
		s.serverError(tag, "reading the account size", err)
		return false
	}
	used := (size + 1023) / 1024
	s.untagged(`QUOTA "" (STORAGE ` + strconv.FormatInt(used, 10) + " " + strconv.FormatInt(int64(account.MaxSizeMB)*1024, 10) + ")")
	return true
}

// cmdGetQuotaRoot is GETQUOTAROOT (RFC 9208 4.3): every personal folder
// has the account's root "" when the account has a maximum size; public
// folders have none.
func (s *session) cmdGetQuotaRoot(ctx context.Context, c *Command) {
	if !s.quotaEnabled(c) {
		return
	}
	name, ok := s.decodeMailbox(c.Tag, c.Mailbox)
	if !ok {
		return
	}
	f, _, err := s.resolveMailbox(ctx, name)
	if err != nil {
		s.mailboxError(c.Tag, err)
		return
	}
	account, ok := s.quotaAccount(ctx, c.Tag)
	if !ok {
		return
	}
	limited := f.AccountID != 0 && account.MaxSizeMB > 0
	b := []byte("* QUOTAROOT ")
	b = appendString(b, []byte(EncodeMailboxName(canonicalInbox(name, s.delimiter()))))
	if limited {
		b = append(b, ` ""`...)
	}
	b = append(b, "\r\n"...)
	s.writeRaw(b)
	if limited && !s.writeQuota(ctx, c.Tag, account) {
		return
	}
	s.ok(ctx, c.Tag, "", "GETQUOTAROOT completed")
}

// cmdGetQuota is GETQUOTA (RFC 9208 4.2).
func (s *session) cmdGetQuota(ctx context.Context, c *Command) {
	if !s.quotaEnabled(c) {
		return
	}
	account, ok := s.quotaAccount(ctx, c.Tag)
	if !ok {
		return
	}
	if c.QuotaRoot != "" || account.MaxSizeMB <= 0 {
		s.tagged(c.Tag, "NO", "NONEXISTENT", "No such quota root")
		return
	}
	if !s.writeQuota(ctx, c.Tag, account) {
		return
	}
	s.ok(ctx, c.Tag, "", "GETQUOTA completed")
}

// cmdSetQuota is SETQUOTA (RFC 9208 4.1), which the administrator alone
// may do (the account's "Maximum size").
func (s *session) cmdSetQuota(ctx context.Context, c *Command) {
	if !s.quotaEnabled(c) {
		return
	}
	s.tagged(c.Tag, "NO", "NOPERM", "Quota limits are set by the administrator")
}

// aclMailbox resolves an ACL command's mailbox. A refusal has been
// answered.
func (s *session) aclMailbox(ctx context.Context, c *Command) (store.Folder, string, string, bool) {
	if !s.aclEnabled(c) {
		return store.Folder{}, "", "", false
	}
	name, ok := s.decodeMailbox(c.Tag, c.Mailbox)
	if !ok {
		return store.Folder{}, "", "", false
	}
	f, rights, err := s.resolveMailbox(ctx, name)
	if err != nil {
		s.mailboxError(c.Tag, err)
		return store.Folder{}, "", "", false
	}
	return f, rights, EncodeMailboxName(canonicalInbox(name, s.delimiter())), true
}

// mayAdminister checks right a (RFC 4314 4: GETACL, SETACL, DELETEACL and
// LISTRIGHTS need it). A refusal has been answered.
func (s *session) mayAdminister(c *Command, rights string) bool {
	if !strings.Contains(rights, "a") {
		s.tagged(c.Tag, "NO", "NOPERM", replyPermissionDenied)
		return false
	}
	return true
}

// cmdGetACL is GETACL (RFC 4314 3.3). A personal folder's only entry is
// its owner with every right.
func (s *session) cmdGetACL(ctx context.Context, c *Command) {
	f, rights, name, ok := s.aclMailbox(ctx, c)
	if !ok || !s.mayAdminister(c, rights) {
		return
	}
	entries := []store.ACLEntry{{Identifier: s.account.Address, Rights: store.AllRights}}
	if f.AccountID == 0 {
		var err error
		if entries, err = s.srv.store.FolderACL(ctx, f.ID); err != nil {
			s.serverError(c.Tag, "reading folder permissions", err)
			return
		}
	}
	b := []byte("* ACL ")
	b = appendString(b, []byte(name))
	for _, e := range entries {
		b = append(b, ' ')
		b = appendAString(b, []byte(e.Identifier))
		b = append(b, ' ')
		b = appendAString(b, []byte(e.Rights))
	}
	b = append(b, "\r\n"...)
	s.writeRaw(b)
	s.ok(ctx, c.Tag, "", "GETACL completed")
}

// cmdSetACL is SETACL and DELETEACL (RFC 4314 3.1, 3.2), on public
// folders only.
func (s *session) cmdSetACL(ctx context.Context, c *Command) {
	f, rights, _, ok := s.aclMailbox(ctx, c)
	if !ok {
		return
	}
	if f.AccountID != 0 {
		s.tagged(c.Tag, "NO", "CANNOT", "Permissions can only be set on public folders")
		return
	}
	if !s.mayAdminister(c, rights) {
		return
	}
	newRights := ""
	if c.Name == "SETACL" {
		mode, letters := byte(0), c.Rights
		if letters != "" && (letters[0] == '+' || letters[0] == '-') {
			mode, letters = letters[0], letters[1:]
		}
		// RFC 4314 2.1.1: the obsolete "c" and "d" are expanded too.
		changed, err := store.NormalizeRights(letters)
		if err != nil {
			s.tagged(c.Tag, "BAD", "", "Invalid rights")
			return
		}
		newRights = changed
		if mode != 0 {
			entries, err := s.srv.store.FolderACL(ctx, f.ID)
			if err != nil {
				s.serverError(c.Tag, "reading folder permissions", err)
				return
			}
			current := ""
			for _, e := range entries {
				if strings.EqualFold(e.Identifier, c.Identifier) {
					current = e.Rights
				}
			}
			if mode == '+' {
				newRights, _ = store.NormalizeRights(current + changed)
			} else {
				newRights = strings.Map(func(r rune) rune {
					if strings.ContainsRune(changed, r) {
						return -1
					}
					return r
				}, current)
			}
		}
	}
	if err := s.srv.store.SetFolderACL(ctx, f.ID, c.Identifier, newRights); err != nil {
		s.folderOpError(c.Tag, "setting folder permissions", err)
		return
	}
	s.ok(ctx, c.Tag, "", c.Name+" completed")
}

// cmdListRights is LISTRIGHTS (RFC 4314 3.4): on a public folder nothing
// is always granted and each right can be given alone; on a personal
// folder its owner has them all.
func (s *session) cmdListRights(ctx context.Context, c *Command) {
	f, rights, name, ok := s.aclMailbox(ctx, c)
	if !ok || !s.mayAdminister(c, rights) {
		return
	}
	b := []byte("* LISTRIGHTS ")
	b = appendString(b, []byte(name))
	b = append(b, ' ')
	b = appendAString(b, []byte(c.Identifier))
	if f.AccountID != 0 {
		b = append(b, " "+store.AllRights...)
	} else {
		b = append(b, ` ""`...)
		for _, r := range []byte(store.AllRights) {
			b = append(b, ' ', r)
		}
	}
	b = append(b, "\r\n"...)
	s.writeRaw(b)
	s.ok(ctx, c.Tag, "", "LISTRIGHTS completed")
}

// cmdMyRights is MYRIGHTS (RFC 4314 3.5).
func (s *session) cmdMyRights(ctx context.Context, c *Command) {
	_, rights, name, ok := s.aclMailbox(ctx, c)
	if !ok {
		return
	}
	b := []byte("* MYRIGHTS ")
	b = appendString(b, []byte(name))
	b = append(b, ' ')
	b = appendAString(b, []byte(rights))
	b = append(b, "\r\n"...)
	s.writeRaw(b)
	s.ok(ctx, c.Tag, "", "MYRIGHTS completed")
}
