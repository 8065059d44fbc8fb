package rpc

import (
	"context"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

// Groups of accounts (for public folder permissions) span domains, so
// every call is for server administrators only.

func (s *groupService) ListGroups(ctx context.Context, _ *connect.Request[adminv1.ListGroupsRequest]) (*connect.Response[adminv1.ListGroupsResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	groups, err := s.opts.Store.Groups(ctx)
	if err != nil {
		return nil, toConnect(err)
	}
	out := &adminv1.ListGroupsResponse{Groups: make([]*adminv1.Group, 0, len(groups))}
	for _, g := range groups {
		out.Groups = append(out.Groups, groupToProto(g))
	}
	return connect.NewResponse(out), nil
}

func (s *groupService) CreateGroup(ctx context.Context, req *connect.Request[adminv1.Group]) (*connect.Response[adminv1.Group], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	if err := checkFieldSizes(nameField("name", req.Msg.GetName())); err != nil {
		return nil, err
	}
	g, err := s.opts.Store.CreateGroup(ctx, req.Msg.GetName())
	if err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "create group", "group", g.Name, "id", g.ID)
	return connect.NewResponse(groupToProto(g)), nil
}

// DeleteGroup deletes a group and its memberships (not the accounts).
func (s *groupService) DeleteGroup(ctx context.Context, req *connect.Request[adminv1.DeleteGroupRequest]) (*connect.Response[adminv1.DeleteGroupResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	g, err := s.group(ctx, req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	if err := s.opts.Store.DeleteGroup(ctx, g.ID); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "delete group", "group", g.Name, "id", g.ID)
	return connect.NewResponse(&adminv1.DeleteGroupResponse{}), nil
}

func (s *groupService) ListGroupMembers(ctx context.Context, req *connect.Request[adminv1.ListGroupMembersRequest]) (*connect.Response[adminv1.ListGroupMembersResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	g, err := s.group(ctx, req.Msg.GetGroupId())
	if err != nil {
		return nil, err
	}
	return s.members(ctx, g.ID)
}

// AddGroupMember puts an account in a group and answers with the members.
func (s *groupService) AddGroupMember(ctx context.Context, req *connect.Request[adminv1.GroupMemberRequest]) (*connect.Response[adminv1.ListGroupMembersResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	g, err := s.group(ctx, req.Msg.GetGroupId())
	if err != nil {
		return nil, err
	}
	if err := s.opts.Store.AddGroupMember(ctx, g.ID, req.Msg.GetAccountId()); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "add group member", "group", g.Name, "account_id", req.Msg.GetAccountId())
	return s.members(ctx, g.ID)
}

// RemoveGroupMember takes an account out of a group and answers with the
// members.
func (s *groupService) RemoveGroupMember(ctx context.Context, req *connect.Request[adminv1.GroupMemberRequest]) (*connect.Response[adminv1.ListGroupMembersResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	g, err := s.group(ctx, req.Msg.GetGroupId())
	if err != nil {
		return nil, err
	}
	if err := s.opts.Store.RemoveGroupMember(ctx, g.ID, req.Msg.GetAccountId()); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "remove group member", "group", g.Name, "account_id", req.Msg.GetAccountId())
	return s.members(ctx, g.ID)
}

// group finds a group by id: the store lists groups but has no lookup, and
// there are few of them.
func (s *groupService) group(ctx context.Context, id int64) (store.Group, error) {
	groups, err := s.opts.Store.Groups(ctx)
	if err != nil {
		return store.Group{}, toConnect(err)
	}
	for _, g := range groups {
		if g.ID == id {
			return g, nil
		}
	}
	return store.Group{}, toConnect(store.ErrNotFound)
}

func (s *groupService) members(ctx context.Context, groupID int64) (*connect.Response[adminv1.ListGroupMembersResponse], error) {
	ids, err := s.opts.Store.GroupMembers(ctx, groupID)
	if err != nil {
		return nil, toConnect(err)
	}
	return connect.NewResponse(&adminv1.ListGroupMembersResponse{AccountIds: ids}), nil
}
