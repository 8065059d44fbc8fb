package rpc

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

// Public folders belong to no account (the store keeps them under account
// 0) and their permissions name accounts of any domain, so every call is for
// server administrators only.

func (s *publicFolderService) ListPublicFolders(ctx context.Context, _ *connect.Request[adminv1.ListPublicFoldersRequest]) (*connect.Response[adminv1.ListPublicFoldersResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	folders, err := s.opts.Store.Folders(ctx, 0)
	if err != nil {
		return nil, toConnect(err)
	}
	counts, err := s.opts.Store.FolderMessageCounts(ctx, 0)
	if err != nil {
		return nil, toConnect(err)
	}
	out := &adminv1.ListPublicFoldersResponse{Folders: make([]*adminv1.Folder, 0, len(folders))}
	for _, f := range folders {
		out.Folders = append(out.Folders, folderToProto(f, counts[f.ID]))
	}
	return connect.NewResponse(out), nil
}

func (s *publicFolderService) CreatePublicFolder(ctx context.Context, req *connect.Request[adminv1.CreatePublicFolderRequest]) (*connect.Response[adminv1.Folder], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	if err := checkFieldSizes(nameField("name", req.Msg.GetName())); err != nil {
		return nil, err
	}
	if parent := req.Msg.GetParentId(); parent != 0 {
		if _, err := s.publicFolder(ctx, parent); err != nil {
			return nil, err
		}
	}
	f, err := s.opts.Store.CreateFolder(ctx, 0, req.Msg.GetParentId(), req.Msg.GetName())
	if err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "create public folder", "folder", f.Name, "id", f.ID, "parent_id", f.ParentID)
	return connect.NewResponse(folderToProto(f, 0)), nil
}

func (s *publicFolderService) RenamePublicFolder(ctx context.Context, req *connect.Request[adminv1.RenamePublicFolderRequest]) (*connect.Response[adminv1.Folder], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	if err := checkFieldSizes(nameField("new_name", req.Msg.GetNewName())); err != nil {
		return nil, err
	}
	f, err := s.publicFolder(ctx, req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	if parent := req.Msg.GetNewParentId(); parent != 0 {
		if _, err := s.publicFolder(ctx, parent); err != nil {
			return nil, err
		}
	}
	if err := s.opts.Store.RenameFolder(ctx, f.ID, req.Msg.GetNewParentId(), req.Msg.GetNewName()); err != nil {
		return nil, toConnect(err)
	}
	renamed, err := s.opts.Store.Folder(ctx, f.ID)
	if err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "rename public folder", "id", f.ID, "from", f.Name, "to", renamed.Name, "parent_id", renamed.ParentID)
	return connect.NewResponse(folderToProto(renamed, 0)), nil
}

// DeletePublicFolder deletes a folder with its messages; a folder with
// subfolders is refused, so nothing is deleted that was not asked for.
func (s *publicFolderService) DeletePublicFolder(ctx context.Context, req *connect.Request[adminv1.DeletePublicFolderRequest]) (*connect.Response[adminv1.DeletePublicFolderResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	f, err := s.publicFolder(ctx, req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	if err := s.opts.Store.DeleteFolder(ctx, f.ID); err != nil {
		if errors.Is(err, store.ErrFolderHasChildren) {
			return nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("the folder has subfolders; delete them first"))
		}
		return nil, toConnect(err)
	}
	s.audit(ctx, "delete public folder", "folder", f.Name, "id", f.ID)
	return connect.NewResponse(&adminv1.DeletePublicFolderResponse{}), nil
}

func (s *publicFolderService) ListFolderPermissions(ctx context.Context, req *connect.Request[adminv1.ListFolderPermissionsRequest]) (*connect.Response[adminv1.ListFolderPermissionsResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	f, err := s.publicFolder(ctx, req.Msg.GetFolderId())
	if err != nil {
		return nil, err
	}
	return s.permissions(ctx, f.ID)
}

func (s *publicFolderService) SetFolderPermission(ctx context.Context, req *connect.Request[adminv1.FolderPermissionRequest]) (*connect.Response[adminv1.ListFolderPermissionsResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	p := req.Msg.GetPermission()
	if err := checkFieldSizes(nameField("identifier", p.GetIdentifier()), nameField("rights", p.GetRights())); err != nil {
		return nil, err
	}
	f, err := s.publicFolder(ctx, req.Msg.GetFolderId())
	if err != nil {
		return nil, err
	}
	if err := s.opts.Store.SetFolderACL(ctx, f.ID, p.GetIdentifier(), p.GetRights()); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "set public folder permission", "folder", f.Name, "id", f.ID, "identifier", p.GetIdentifier(), "rights", p.GetRights())
	return s.permissions(ctx, f.ID)
}

// publicFolder finds a public folder; an account's folder id is "not
// found" here.
func (s *publicFolderService) publicFolder(ctx context.Context, id int64) (store.Folder, error) {
	f, err := s.opts.Store.Folder(ctx, id)
	if err != nil {
		return store.Folder{}, toConnect(err)
	}
	if f.AccountID != 0 {
		return store.Folder{}, toConnect(store.ErrNotFound)
	}
	return f, nil
}

func (s *publicFolderService) permissions(ctx context.Context, folderID int64) (*connect.Response[adminv1.ListFolderPermissionsResponse], error) {
	acl, err := s.opts.Store.FolderACL(ctx, folderID)
	if err != nil {
		return nil, toConnect(err)
	}
	out := &adminv1.ListFolderPermissionsResponse{Permissions: make([]*adminv1.FolderPermission, 0, len(acl))}
	for _, e := range acl {
		out.Permissions = append(out.Permissions, &adminv1.FolderPermission{Identifier: e.Identifier, Rights: e.Rights})
	}
	return connect.NewResponse(out), nil
}
