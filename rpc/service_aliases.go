package rpc

import (
	"context"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

// Aliases: server administrators manage all, domain administrators those
// of their domain. An alias's target may be any address, local or not.

// ListAliases pages through a domain's aliases by address.
func (s *aliasService) ListAliases(ctx context.Context, req *connect.Request[adminv1.ListAliasesRequest]) (*connect.Response[adminv1.ListAliasesResponse], error) {
	limit, offset, err := listPage(req.Msg.GetFilter(), req.Msg.GetLimit(), req.Msg.GetOffset())
	if err != nil {
		return nil, err
	}
	domainID, err := s.domainInScope(ctx, req.Msg.GetDomainId())
	if err != nil {
		return nil, err
	}
	aliases, total, err := s.opts.Store.AliasesPage(ctx, domainID, req.Msg.GetFilter(), limit, offset)
	if err != nil {
		return nil, toConnect(err)
	}
	out := &adminv1.ListAliasesResponse{Total: int32(total), Aliases: make([]*adminv1.Alias, 0, len(aliases))}
	for _, a := range aliases {
		out.Aliases = append(out.Aliases, aliasToProto(a))
	}
	return connect.NewResponse(out), nil
}

// listPage checks a list request's filter and offset and returns its page:
// limit 100 when none is given, at most 1000.
func listPage(filter string, limit, offset int32) (int, int, error) {
	if err := checkFieldSizes(nameField("filter", filter)); err != nil {
		return 0, 0, err
	}
	if offset < 0 {
		return 0, 0, toConnect(&store.ValidationError{Field: "offset", Message: "must not be negative"})
	}
	switch {
	case limit <= 0:
		limit = 100
	case limit > 1000:
		limit = 1000
	}
	return int(limit), int(offset), nil
}

func (s *aliasService) GetAlias(ctx context.Context, req *connect.Request[adminv1.GetAliasRequest]) (*connect.Response[adminv1.Alias], error) {
	a, err := s.opts.Store.Alias(ctx, req.Msg.GetId())
	if _, err := requireDomainOf(ctx, a.DomainID, err); err != nil {
		return nil, err
	}
	return connect.NewResponse(aliasToProto(a)), nil
}

// CreateAlias adds an alias in the domain its address names.
func (s *aliasService) CreateAlias(ctx context.Context, req *connect.Request[adminv1.Alias]) (*connect.Response[adminv1.Alias], error) {
	if err := checkFieldSizes(nameField("address", req.Msg.GetAddress()), nameField("target", req.Msg.GetTarget())); err != nil {
		return nil, err
	}
	domainID, err := s.addressDomain(ctx, "address", req.Msg.GetAddress())
	if err != nil {
		return nil, err
	}
	if _, err := requireDomain(ctx, domainID); err != nil {
		return nil, err
	}
	a, err := s.opts.Store.CreateAlias(ctx, aliasFromProto(req.Msg))
	if err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "create alias", "address", a.Address, "target", a.Target, "id", a.ID)
	return connect.NewResponse(aliasToProto(a)), nil
}

// UpdateAlias changes the target and state of the alias with the message's
// id; its address never changes.
func (s *aliasService) UpdateAlias(ctx context.Context, req *connect.Request[adminv1.Alias]) (*connect.Response[adminv1.Alias], error) {
	if err := checkFieldSizes(nameField("address", req.Msg.GetAddress()), nameField("target", req.Msg.GetTarget())); err != nil {
		return nil, err
	}
	current, err := s.opts.Store.Alias(ctx, req.Msg.GetId())
	if _, err := requireDomainOf(ctx, current.DomainID, err); err != nil {
		return nil, err
	}
	if err := s.opts.Store.UpdateAlias(ctx, aliasFromProto(req.Msg)); err != nil {
		return nil, toConnect(err)
	}
	a, err := s.opts.Store.Alias(ctx, current.ID)
	if err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "update alias", "address", a.Address, "target", a.Target, "active", a.Active, "id", a.ID)
	return connect.NewResponse(aliasToProto(a)), nil
}

func (s *aliasService) DeleteAlias(ctx context.Context, req *connect.Request[adminv1.DeleteAliasRequest]) (*connect.Response[adminv1.DeleteAliasResponse], error) {
	a, err := s.opts.Store.Alias(ctx, req.Msg.GetId())
	if _, err := requireDomainOf(ctx, a.DomainID, err); err != nil {
		return nil, err
	}
	if err := s.opts.Store.DeleteAlias(ctx, a.ID); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "delete alias", "address", a.Address, "id", a.ID)
	return connect.NewResponse(&adminv1.DeleteAliasResponse{}), nil
}
