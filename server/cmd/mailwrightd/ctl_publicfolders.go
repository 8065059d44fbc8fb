package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

// Public folders are named on the command line by their path with "/"
// between levels ("Projects/2026"), whatever the IMAP hierarchy delimiter.

// publicFolderPaths lists the public folders with their paths.
func (c *ctlCall) publicFolderPaths() (*adminv1.ListPublicFoldersResponse, map[string]*adminv1.Folder, error) {
	resp, err := unary(c, c.client.PublicFolders.ListPublicFolders, &adminv1.ListPublicFoldersRequest{})
	if err != nil {
		return nil, nil, err
	}
	byID := map[int64]*adminv1.Folder{}
	for _, f := range resp.GetFolders() {
		byID[f.GetId()] = f
	}
	paths := map[string]*adminv1.Folder{}
	for _, f := range resp.GetFolders() {
		var parts []string
		for cur, depth := f, 0; cur != nil && depth < 100; cur, depth = byID[cur.GetParentId()], depth+1 {
			parts = append([]string{cur.GetName()}, parts...)
			if cur.GetParentId() == 0 {
				break
			}
		}
		paths[strings.ToLower(strings.Join(parts, "/"))] = f
	}
	return resp, paths, nil
}

// publicFolder finds a public folder by path; parent finds the folder a new
// path goes under and the new level's name.
func (c *ctlCall) publicFolder(path string) (*adminv1.Folder, error) {
	_, paths, err := c.publicFolderPaths()
	if err != nil {
		return nil, err
	}
	f, ok := paths[strings.ToLower(strings.Trim(path, "/"))]
	if !ok {
		return nil, fmt.Errorf("there is no public folder %s", path)
	}
	return f, nil
}

func (c *ctlCall) publicParent(path string) (parentID int64, name string, err error) {
	path = strings.Trim(path, "/")
	i := strings.LastIndex(path, "/")
	if i < 0 {
		return 0, path, nil
	}
	f, err := c.publicFolder(path[:i])
	if err != nil {
		return 0, "", err
	}
	return f.GetId(), path[i+1:], nil
}

func publicFolderList(c *ctlCall) error {
	resp, paths, err := c.publicFolderPaths()
	if err != nil {
		return err
	}
	return c.print(resp, func(w io.Writer) error {
		lines := make([]string, 0, len(paths))
		for _, f := range resp.GetFolders() {
			for p, g := range paths {
				if g == f {
					lines = append(lines, fmt.Sprintf("%s\t%d messages", displayPath(p, paths), f.GetMessages()))
				}
			}
		}
		sort.Strings(lines)
		return printLines(lines)(w)
	})
}

// displayPath gives a folder's path with its levels' own letter case.
func displayPath(lower string, paths map[string]*adminv1.Folder) string {
	parts := strings.Split(lower, "/")
	for i := range parts {
		if f, ok := paths[strings.Join(parts[:i+1], "/")]; ok {
			parts[i] = f.GetName()
		}
	}
	return strings.Join(parts, "/")
}

func publicFolderAdd(c *ctlCall) error {
	parent, name, err := c.publicParent(c.args[0])
	if err != nil {
		return err
	}
	f, err := unary(c, c.client.PublicFolders.CreatePublicFolder, &adminv1.CreatePublicFolderRequest{ParentId: parent, Name: name})
	if err != nil {
		return err
	}
	return c.done(f, "added public folder %s", c.args[0])
}

func publicFolderRename(c *ctlCall) error {
	f, err := c.publicFolder(c.args[0])
	if err != nil {
		return err
	}
	parent, name, err := c.publicParent(c.args[1])
	if err != nil {
		return err
	}
	renamed, err := unary(c, c.client.PublicFolders.RenamePublicFolder, &adminv1.RenamePublicFolderRequest{Id: f.GetId(), NewParentId: parent, NewName: name})
	if err != nil {
		return err
	}
	return c.done(renamed, "renamed public folder %s to %s", c.args[0], c.args[1])
}

func publicFolderDelete(c *ctlCall) error {
	f, err := c.publicFolder(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.PublicFolders.DeletePublicFolder, &adminv1.DeletePublicFolderRequest{Id: f.GetId()})
	if err != nil {
		return err
	}
	return c.done(resp, "deleted public folder %s", c.args[0])
}

func (c *ctlCall) printPermissions(resp *adminv1.ListFolderPermissionsResponse) error {
	return c.print(resp, func(w io.Writer) error {
		lines := make([]string, 0, len(resp.GetPermissions()))
		for _, p := range resp.GetPermissions() {
			lines = append(lines, p.GetIdentifier()+"\t"+p.GetRights())
		}
		return printLines(lines)(w)
	})
}

func publicFolderPermissions(c *ctlCall) error {
	f, err := c.publicFolder(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.PublicFolders.ListFolderPermissions, &adminv1.ListFolderPermissionsRequest{FolderId: f.GetId()})
	if err != nil {
		return err
	}
	return c.printPermissions(resp)
}

func publicFolderPermit(c *ctlCall) error {
	f, err := c.publicFolder(c.args[0])
	if err != nil {
		return err
	}
	rights := ""
	if len(c.args) > 2 {
		rights = c.args[2]
	}
	resp, err := unary(c, c.client.PublicFolders.SetFolderPermission, &adminv1.FolderPermissionRequest{FolderId: f.GetId(),
		Permission: &adminv1.FolderPermission{Identifier: c.args[1], Rights: rights}})
	if err != nil {
		return err
	}
	return c.printPermissions(resp)
}
