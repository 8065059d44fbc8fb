package rpc

import (
	"context"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

// Distribution lists and their members: server administrators manage all,
// domain administrators those of their domain. Members may be any address.

func (s *listService) ListLists(ctx context.Context, req *connect.Request[adminv1.ListListsRequest]) (*connect.Response[adminv1.ListListsResponse], error) {
	domainID, err := s.domainInScope(ctx, req.Msg.GetDomainId())
	if err != nil {
		return nil, err
	}
	lists, err := s.opts.Store.Lists(ctx, domainID)
	if err != nil {
		return nil, toConnect(err)
	}
	out := &adminv1.ListListsResponse{Lists: make([]*adminv1.DistributionList, 0, len(lists))}
	for _, l := range lists {
		out.Lists = append(out.Lists, listToProto(l))
	}
	return connect.NewResponse(out), nil
}

func (s *listService) GetList(ctx context.Context, req *connect.Request[adminv1.GetListRequest]) (*connect.Response[adminv1.DistributionList], error) {
	l, err := s.authorizedList(ctx, req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(listToProto(l)), nil
}

// CreateList adds a list in the domain its address names.
func (s *listService) CreateList(ctx context.Context, req *connect.Request[adminv1.DistributionList]) (*connect.Response[adminv1.DistributionList], error) {
	if err := checkFieldSizes(listSizes(req.Msg)...); err != nil {
		return nil, err
	}
	domainID, err := s.addressDomain(ctx, "address", req.Msg.GetAddress())
	if err != nil {
		return nil, err
	}
	if _, err := requireDomain(ctx, domainID); err != nil {
		return nil, err
	}
	l, err := s.opts.Store.CreateList(ctx, listFromProto(req.Msg))
	if err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "create distribution list", "address", l.Address, "id", l.ID)
	return connect.NewResponse(listToProto(l)), nil
}

// UpdateList saves the settings of the list with the message's id; its
// address never changes.
func (s *listService) UpdateList(ctx context.Context, req *connect.Request[adminv1.DistributionList]) (*connect.Response[adminv1.DistributionList], error) {
	if err := checkFieldSizes(listSizes(req.Msg)...); err != nil {
		return nil, err
	}
	current, err := s.authorizedList(ctx, req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	if err := s.opts.Store.UpdateList(ctx, listFromProto(req.Msg)); err != nil {
		return nil, toConnect(err)
	}
	l, err := s.opts.Store.List(ctx, current.ID)
	if err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "update distribution list", "address", l.Address, "id", l.ID)
	return connect.NewResponse(listToProto(l)), nil
}

// DeleteList deletes a list with its members.
func (s *listService) DeleteList(ctx context.Context, req *connect.Request[adminv1.DeleteListRequest]) (*connect.Response[adminv1.DeleteListResponse], error) {
	l, err := s.authorizedList(ctx, req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	if err := s.opts.Store.DeleteList(ctx, l.ID); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "delete distribution list", "address", l.Address, "id", l.ID)
	return connect.NewResponse(&adminv1.DeleteListResponse{}), nil
}

func (s *listService) ListMembers(ctx context.Context, req *connect.Request[adminv1.ListMembersRequest]) (*connect.Response[adminv1.ListMembersResponse], error) {
	l, err := s.authorizedList(ctx, req.Msg.GetListId())
	if err != nil {
		return nil, err
	}
	return s.members(ctx, l.ID)
}

// AddMember adds an address to a list and answers with the members.
func (s *listService) AddMember(ctx context.Context, req *connect.Request[adminv1.ListMemberRequest]) (*connect.Response[adminv1.ListMembersResponse], error) {
	if err := checkFieldSizes(nameField("address", req.Msg.GetAddress())); err != nil {
		return nil, err
	}
	l, err := s.authorizedList(ctx, req.Msg.GetListId())
	if err != nil {
		return nil, err
	}
	if err := s.opts.Store.AddListMember(ctx, l.ID, req.Msg.GetAddress()); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "add distribution list member", "list", l.Address, "member", req.Msg.GetAddress())
	return s.members(ctx, l.ID)
}

// RemoveMember removes an address from a list and answers with the members.
func (s *listService) RemoveMember(ctx context.Context, req *connect.Request[adminv1.ListMemberRequest]) (*connect.Response[adminv1.ListMembersResponse], error) {
	if err := checkFieldSizes(nameField("address", req.Msg.GetAddress())); err != nil {
		return nil, err
	}
	l, err := s.authorizedList(ctx, req.Msg.GetListId())
	if err != nil {
		return nil, err
	}
	if err := s.opts.Store.RemoveListMember(ctx, l.ID, req.Msg.GetAddress()); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "remove distribution list member", "list", l.Address, "member", req.Msg.GetAddress())
	return s.members(ctx, l.ID)
}

// authorizedList loads a list the caller may manage.
func (s *listService) authorizedList(ctx context.Context, id int64) (store.List, error) {
	l, err := s.opts.Store.List(ctx, id)
	if _, err := requireDomainOf(ctx, l.DomainID, err); err != nil {
		return store.List{}, err
	}
	return l, nil
}

func (s *listService) members(ctx context.Context, listID int64) (*connect.Response[adminv1.ListMembersResponse], error) {
	addresses, err := s.opts.Store.ListMembers(ctx, listID)
	if err != nil {
		return nil, toConnect(err)
	}
	return connect.NewResponse(&adminv1.ListMembersResponse{Addresses: addresses}), nil
}
