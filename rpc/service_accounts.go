package rpc

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

// Accounts. Server administrators manage every account, domain
// administrators the accounts of their domain, and a user its own account:
// it may read it, change its password and its personal settings (name,
// auto-reply, forwarding, signature) and list its folders.
//
// Nobody grants an administration level above their own: a domain
// administrator can neither make an account a server administrator nor
// change, reset the password of, empty or delete an account that is one.
// Otherwise setting a server administrator's password would be a way up.

// ListAccounts pages through a domain's accounts.
func (s *accountService) ListAccounts(ctx context.Context, req *connect.Request[adminv1.ListAccountsRequest]) (*connect.Response[adminv1.ListAccountsResponse], error) {
	if err := checkFieldSizes(nameField("filter", req.Msg.GetFilter())); err != nil {
		return nil, err
	}
	if req.Msg.GetOffset() < 0 {
		return nil, toConnect(&store.ValidationError{Field: "offset", Message: "must not be negative"})
	}
	limit := int(req.Msg.GetLimit())
	switch {
	case limit <= 0:
		limit = 100
	case limit > 1000:
		limit = 1000
	}
	domainID, err := s.domainInScope(ctx, req.Msg.GetDomainId())
	if err != nil {
		return nil, err
	}
	page, err := s.opts.Store.Accounts(ctx, domainID, req.Msg.GetFilter(), limit, int(req.Msg.GetOffset()))
	if err != nil {
		return nil, toConnect(err)
	}
	sizes, err := s.opts.Store.AccountSizes(ctx, domainID)
	if err != nil {
		return nil, toConnect(err)
	}
	out := &adminv1.ListAccountsResponse{Total: int32(page.Total), Accounts: make([]*adminv1.Account, 0, len(page.Accounts))}
	for _, a := range page.Accounts {
		pa := accountToProto(a)
		pa.SizeBytes = sizes[a.ID]
		out.Accounts = append(out.Accounts, pa)
	}
	return connect.NewResponse(out), nil
}

// GetAccount finds an account by id or, when the id is 0, by address.
func (s *accountService) GetAccount(ctx context.Context, req *connect.Request[adminv1.GetAccountRequest]) (*connect.Response[adminv1.Account], error) {
	if err := checkFieldSizes(nameField("address", req.Msg.GetAddress())); err != nil {
		return nil, err
	}
	var a store.Account
	var err error
	if id := req.Msg.GetId(); id != 0 {
		a, err = s.opts.Store.Account(ctx, id)
	} else {
		a, err = s.opts.Store.AccountByAddress(ctx, req.Msg.GetAddress())
	}
	if _, err := requireAccountOf(ctx, a, err); err != nil {
		return nil, err
	}
	return s.accountResponse(ctx, a)
}

func (s *accountService) CreateAccount(ctx context.Context, req *connect.Request[adminv1.CreateAccountRequest]) (*connect.Response[adminv1.Account], error) {
	msg := req.Msg.GetAccount()
	if msg == nil {
		return nil, toConnect(&store.ValidationError{Field: "account", Message: "the account is missing"})
	}
	if err := checkFieldSizes(append(accountSizes(msg), nameField("password", req.Msg.GetPassword()))...); err != nil {
		return nil, err
	}
	domainID, err := s.addressDomain(ctx, "address", msg.GetAddress())
	if err != nil {
		return nil, err
	}
	p, err := requireDomain(ctx, domainID)
	if err != nil {
		return nil, err
	}
	a := accountFromProto(msg)
	if err := mayGrant(p, a.AdminLevel); err != nil {
		return nil, err
	}
	a, err = s.opts.Store.CreateAccount(ctx, a, req.Msg.GetPassword())
	if err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "create account", "address", a.Address, "id", a.ID, "admin_level", int(a.AdminLevel))
	return s.accountResponse(ctx, a)
}

// UpdateAccount saves every setting of the account with the message's id
// (not its address, which never changes, nor its password). A user may
// change its personal settings only: a request that changes its active
// state, administration level or maximum size is refused.
func (s *accountService) UpdateAccount(ctx context.Context, req *connect.Request[adminv1.Account]) (*connect.Response[adminv1.Account], error) {
	if err := checkFieldSizes(accountSizes(req.Msg)...); err != nil {
		return nil, err
	}
	current, err := s.opts.Store.Account(ctx, req.Msg.GetId())
	p, err := requireAccountOf(ctx, current, err)
	if err != nil {
		return nil, err
	}
	a := accountFromProto(req.Msg)
	if p.Level == store.AdminUser &&
		(a.Active != current.Active || a.AdminLevel != current.AdminLevel || a.MaxSizeMB != current.MaxSizeMB) {
		return nil, errDenied
	}
	if err := mayManage(p, current); err != nil {
		return nil, err
	}
	if err := mayGrant(p, a.AdminLevel); err != nil {
		return nil, err
	}
	if err := s.opts.Store.UpdateAccount(ctx, a); err != nil {
		return nil, toConnect(err)
	}
	a, err = s.opts.Store.Account(ctx, a.ID)
	if err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "update account", "address", a.Address, "id", a.ID)
	return s.accountResponse(ctx, a)
}

func (s *accountService) SetAccountPassword(ctx context.Context, req *connect.Request[adminv1.SetAccountPasswordRequest]) (*connect.Response[adminv1.SetAccountPasswordResponse], error) {
	if err := checkFieldSizes(nameField("password", req.Msg.GetPassword())); err != nil {
		return nil, err
	}
	a, err := s.opts.Store.Account(ctx, req.Msg.GetId())
	p, err := requireAccountOf(ctx, a, err)
	if err != nil {
		return nil, err
	}
	if err := mayManage(p, a); err != nil {
		return nil, err
	}
	if err := s.opts.Store.SetAccountPassword(ctx, a.ID, req.Msg.GetPassword()); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "set account password", "address", a.Address, "id", a.ID)
	return connect.NewResponse(&adminv1.SetAccountPasswordResponse{}), nil
}

// DeleteAccount deletes an account with its folders and messages.
func (s *accountService) DeleteAccount(ctx context.Context, req *connect.Request[adminv1.DeleteAccountRequest]) (*connect.Response[adminv1.DeleteAccountResponse], error) {
	a, err := s.opts.Store.Account(ctx, req.Msg.GetId())
	p, err := requireDomainOf(ctx, a.DomainID, err)
	if err != nil {
		return nil, err
	}
	if err := mayManage(p, a); err != nil {
		return nil, err
	}
	if err := s.opts.Store.DeleteAccount(ctx, a.ID); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "delete account", "address", a.Address, "id", a.ID)
	return connect.NewResponse(&adminv1.DeleteAccountResponse{}), nil
}

// UnlockAccount clears the account's POP3 lock.
func (s *accountService) UnlockAccount(ctx context.Context, req *connect.Request[adminv1.UnlockAccountRequest]) (*connect.Response[adminv1.UnlockAccountResponse], error) {
	a, err := s.opts.Store.Account(ctx, req.Msg.GetId())
	if _, err := requireDomainOf(ctx, a.DomainID, err); err != nil {
		return nil, err
	}
	if err := s.opts.Store.UnlockAccount(ctx, a.ID); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "unlock account", "address", a.Address, "id", a.ID)
	return connect.NewResponse(&adminv1.UnlockAccountResponse{}), nil
}

// EmptyAccount deletes every message of the account; its folders stay.
func (s *accountService) EmptyAccount(ctx context.Context, req *connect.Request[adminv1.EmptyAccountRequest]) (*connect.Response[adminv1.EmptyAccountResponse], error) {
	a, err := s.opts.Store.Account(ctx, req.Msg.GetId())
	p, err := requireDomainOf(ctx, a.DomainID, err)
	if err != nil {
		return nil, err
	}
	if err := mayManage(p, a); err != nil {
		return nil, err
	}
	n, err := s.opts.Store.EmptyAccount(ctx, a.ID)
	if err != nil {
		if n == 0 {
			return nil, toConnect(err)
		}
		// The rows are gone; only some files are left for the start-up
		// reconciliation. The account is empty as asked.
		s.opts.Log.Warn("admin: empty account left message files", "address", a.Address, "err", err)
	}
	s.audit(ctx, "empty account", "address", a.Address, "id", a.ID, "deleted_messages", n)
	return connect.NewResponse(&adminv1.EmptyAccountResponse{DeletedMessages: int32(n)}), nil
}

// ListFolders lists the account's IMAP folders with their message counts.
func (s *accountService) ListFolders(ctx context.Context, req *connect.Request[adminv1.ListFoldersRequest]) (*connect.Response[adminv1.ListFoldersResponse], error) {
	a, err := s.opts.Store.Account(ctx, req.Msg.GetAccountId())
	if _, err := requireAccountOf(ctx, a, err); err != nil {
		return nil, err
	}
	folders, err := s.opts.Store.Folders(ctx, a.ID)
	if err != nil {
		return nil, toConnect(err)
	}
	counts, err := s.opts.Store.FolderMessageCounts(ctx, a.ID)
	if err != nil {
		return nil, toConnect(err)
	}
	out := &adminv1.ListFoldersResponse{Folders: make([]*adminv1.Folder, 0, len(folders))}
	for _, f := range folders {
		out.Folders = append(out.Folders, folderToProto(f, counts[f.ID]))
	}
	return connect.NewResponse(out), nil
}

// accountResponse answers with an account and its current mailbox size.
func (s *accountService) accountResponse(ctx context.Context, a store.Account) (*connect.Response[adminv1.Account], error) {
	size, err := s.opts.Store.AccountSize(ctx, a.ID)
	if err != nil {
		return nil, toConnect(err)
	}
	out := accountToProto(a)
	out.SizeBytes = size
	return connect.NewResponse(out), nil
}

// requireAccountOf authorizes a call on an account that was just looked
// up, like requireDomainOf: only server administrators learn that an
// account does not exist.
func requireAccountOf(ctx context.Context, a store.Account, lookupErr error) (Principal, error) {
	if lookupErr != nil && !errors.Is(lookupErr, store.ErrNotFound) {
		return Principal{}, toConnect(lookupErr)
	}
	if lookupErr != nil {
		a = store.Account{}
	}
	p, err := requireAccount(ctx, a.ID, a.DomainID)
	if err != nil {
		return p, err
	}
	return p, toConnect(lookupErr)
}

// mayGrant refuses an administration level above the caller's own.
func mayGrant(p Principal, level store.AdminLevel) error {
	if level > p.Level && level <= store.AdminServer {
		return errDenied
	}
	return nil
}

// mayManage refuses changes to an account whose administration level is
// above the caller's own.
func mayManage(p Principal, a store.Account) error {
	if a.AdminLevel > p.Level {
		return errDenied
	}
	return nil
}
