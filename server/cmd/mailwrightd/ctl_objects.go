package main

// ctl's commands for the objects of a domain: domains and their other
// names, accounts, aliases, distribution lists, and the server's account
// groups.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

func ctlObjectCommands() []*ctlCommand {
	return []*ctlCommand{
		{path: "domain list", summary: "list the domains", run: domainList},
		{path: "domain show", args: []string{"NAME"}, summary: "show a domain's settings", run: domainShow},
		{path: "domain add", args: []string{"NAME"}, summary: "add a domain (active unless --active=false)",
			fields: &adminv1.Domain{}, fixed: []string{"name"}, run: domainAdd},
		{path: "domain set", args: []string{"NAME"}, summary: "change a domain's settings",
			fields: &adminv1.Domain{}, fixed: []string{"name"}, run: domainSet},
		{path: "domain delete", args: []string{"NAME"}, summary: "delete a domain with all its accounts, aliases and lists", run: domainDelete},
		{path: "domain alias list", args: []string{"DOMAIN"}, summary: "list a domain's other names", run: domainAliasList},
		{path: "domain alias add", args: []string{"DOMAIN", "NAME"}, summary: "give a domain another name", run: domainAliasAdd},
		{path: "domain alias remove", args: []string{"DOMAIN", "NAME"}, summary: "remove one of a domain's other names", run: domainAliasRemove},

		{path: "account list", args: []string{"DOMAIN"}, summary: "list a domain's accounts",
			options: []ctlOption{
				{"filter", "TEXT", "only addresses containing TEXT"},
				{"limit", "N", "at most N accounts (default 100, at most 1000)"},
				{"offset", "N", "skip the first N accounts"},
			}, run: accountList},
		{path: "account show", args: []string{"ADDRESS"}, summary: "show an account's settings, last logon and size", run: accountShow},
		{path: "account add", args: []string{"ADDRESS"}, summary: "add an account (active unless --active=false)",
			notes: []string{"The account's password is read from stdin with --account-password-stdin: its first line,\n" +
				"or its second when --password-stdin takes the first for the login."},
			options: []ctlOption{{"account-password-stdin", "", "read the new account's password from stdin"}},
			fields:  &adminv1.Account{}, fixed: []string{"address"}, run: accountAdd},
		{path: "account set", args: []string{"ADDRESS"}, summary: "change an account's settings",
			fields: &adminv1.Account{}, fixed: []string{"address"}, run: accountSet},
		{path: "account password", args: []string{"ADDRESS"}, summary: "set an account's password, read from stdin",
			notes: []string{"The password is stdin's first line, or its second when --password-stdin takes the first\nfor the login."},
			run:   accountPassword},
		{path: "account delete", args: []string{"ADDRESS"}, summary: "delete an account with its folders and messages", run: accountDelete},
		{path: "account unlock", args: []string{"ADDRESS"}, summary: "remove an account's POP3 lock", run: accountUnlock},
		{path: "account empty", args: []string{"ADDRESS"}, summary: "delete every message of an account (its folders stay)", run: accountEmpty},
		{path: "account folders", args: []string{"ADDRESS"}, summary: "list an account's IMAP folders with their message counts", run: accountFolders},

		{path: "alias list", args: []string{"DOMAIN"}, summary: "list a domain's aliases", run: aliasList},
		{path: "alias show", args: []string{"ADDRESS"}, summary: "show an alias", run: aliasShow},
		{path: "alias add", args: []string{"ADDRESS", "TARGET"}, summary: "add an alias delivering ADDRESS's mail to TARGET (active unless --active=false)",
			fields: &adminv1.Alias{}, fixed: []string{"address", "target"}, run: aliasAdd},
		{path: "alias set", args: []string{"ADDRESS"}, summary: "change an alias's target or state",
			fields: &adminv1.Alias{}, fixed: []string{"address"}, run: aliasSet},
		{path: "alias delete", args: []string{"ADDRESS"}, summary: "delete an alias", run: aliasDelete},

		{path: "list list", args: []string{"DOMAIN"}, summary: "list a domain's distribution lists", run: listList},
		{path: "list show", args: []string{"ADDRESS"}, summary: "show a distribution list's settings", run: listShow},
		{path: "list add", args: []string{"ADDRESS"}, summary: "add a distribution list (active unless --active=false)",
			fields: &adminv1.DistributionList{}, fixed: []string{"address"}, run: listAdd},
		{path: "list set", args: []string{"ADDRESS"}, summary: "change a distribution list's settings",
			fields: &adminv1.DistributionList{}, fixed: []string{"address"}, run: listSet},
		{path: "list delete", args: []string{"ADDRESS"}, summary: "delete a distribution list with its members", run: listDelete},
		{path: "list members", args: []string{"ADDRESS"}, summary: "list a distribution list's members, one a line", run: listMembers},
		{path: "list member add", args: []string{"ADDRESS", "MEMBER..."}, summary: "add members to a distribution list", run: listMemberAdd},
		{path: "list member remove", args: []string{"ADDRESS", "MEMBER..."}, summary: "remove members from a distribution list", run: listMemberRemove},

		{path: "group list", summary: "list the account groups", run: groupList},
		{path: "group add", args: []string{"NAME"}, summary: "add an account group", run: groupAdd},
		{path: "group delete", args: []string{"NAME"}, summary: "delete a group (not its accounts)", run: groupDelete},
		{path: "group members", args: []string{"NAME"}, summary: "list a group's accounts, one a line",
			notes: []string{"With --json it prints the server's response, which names the accounts by id."}, run: groupMembers},
		{path: "group member add", args: []string{"NAME", "ACCOUNT..."}, summary: "put accounts in a group", run: groupMemberAdd},
		{path: "group member remove", args: []string{"NAME", "ACCOUNT..."}, summary: "take accounts out of a group", run: groupMemberRemove},

		{path: "public-folder list", summary: "list the public folders by path (levels separated by /)", run: publicFolderList},
		{path: "public-folder add", args: []string{"PATH"}, summary: "add a public folder; its parent must exist", run: publicFolderAdd},
		{path: "public-folder rename", args: []string{"PATH", "NEWPATH"}, summary: "rename or move a public folder with its subfolders", run: publicFolderRename},
		{path: "public-folder delete", args: []string{"PATH"}, summary: "delete a public folder and its messages (not one with subfolders)", run: publicFolderDelete},
		{path: "public-folder permissions", args: []string{"PATH"}, summary: "list a public folder's permissions, one identifier a line", run: publicFolderPermissions},
		{path: "public-folder permit", args: []string{"PATH", "IDENTIFIER", "[RIGHTS]"}, summary: "set an identifier's rights on a public folder",
			notes: []string{"IDENTIFIER is anyone, an account address or $ followed by a group name.",
				"RIGHTS are RFC 4314 letters: l lookup, r read, s keep seen, w write flags, i insert, p post, k create folders, x delete folder, t delete messages, e expunge, a administer. Without RIGHTS the identifier's entry is removed."},
			run: publicFolderPermit},
	}
}

// unary makes one call with the command's timeout.
func unary[Req, Resp any](c *ctlCall, method func(context.Context, *connect.Request[Req]) (*connect.Response[Resp], error), req *Req) (*Resp, error) {
	ctx, cancel := c.call()
	defer cancel()
	resp, err := method(ctx, connect.NewRequest(req))
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}

// notFound names what a look-up did not find instead of the server's
// "no such object".
func notFound(err error, format string, args ...any) error {
	if connect.CodeOf(err) == connect.CodeNotFound {
		return fmt.Errorf("there is no "+format, args...)
	}
	return err
}

// errNothingToChange is the answer to "set" without a field flag.
var errNothingToChange = errors.New("nothing to change: give the fields to change as flags (see --help)")

// changeFields applies the field flags to an object read from the server.
func (c *ctlCall) changeFields(msg proto.Message) error {
	if len(c.fields) == 0 {
		return errNothingToChange
	}
	return c.applyFields(msg)
}

// countOf is "1 message", "2 messages".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// domainOf is the domain of an address.
func domainOf(address string) (string, error) {
	at := strings.LastIndexByte(address, '@')
	if at <= 0 || at == len(address)-1 {
		return "", fmt.Errorf("%q is not an address such as user@example.com", address)
	}
	return address[at+1:], nil
}

// Look-ups by name.

func (c *ctlCall) domain(name string) (*adminv1.Domain, error) {
	d, err := unary(c, c.client.Domains.GetDomain, &adminv1.GetDomainRequest{Name: name})
	return d, notFound(err, "domain %s", name)
}

func (c *ctlCall) account(address string) (*adminv1.Account, error) {
	a, err := unary(c, c.client.Accounts.GetAccount, &adminv1.GetAccountRequest{Address: address})
	return a, notFound(err, "account %s", address)
}

func (c *ctlCall) alias(address string) (*adminv1.Alias, error) {
	domainName, err := domainOf(address)
	if err != nil {
		return nil, err
	}
	d, err := c.domain(domainName)
	if err != nil {
		return nil, err
	}
	resp, err := c.allAliases(d.GetId(), address)
	if err != nil {
		return nil, err
	}
	for _, a := range resp.GetAliases() {
		if strings.EqualFold(a.GetAddress(), address) {
			return a, nil
		}
	}
	return nil, fmt.Errorf("there is no alias %s", address)
}

func (c *ctlCall) distributionList(address string) (*adminv1.DistributionList, error) {
	domainName, err := domainOf(address)
	if err != nil {
		return nil, err
	}
	d, err := c.domain(domainName)
	if err != nil {
		return nil, err
	}
	resp, err := unary(c, c.client.Lists.ListLists, &adminv1.ListListsRequest{DomainId: d.GetId()})
	if err != nil {
		return nil, err
	}
	for _, l := range resp.GetLists() {
		if strings.EqualFold(l.GetAddress(), address) {
			return l, nil
		}
	}
	return nil, fmt.Errorf("there is no distribution list %s", address)
}

func (c *ctlCall) group(name string) (*adminv1.Group, error) {
	resp, err := unary(c, c.client.Groups.ListGroups, &adminv1.ListGroupsRequest{})
	if err != nil {
		return nil, err
	}
	for _, g := range resp.GetGroups() {
		if strings.EqualFold(g.GetName(), name) {
			return g, nil
		}
	}
	return nil, fmt.Errorf("there is no group %s", name)
}

// Domains.

func domainList(c *ctlCall) error {
	resp, err := unary(c, c.client.Domains.ListDomains, &adminv1.ListDomainsRequest{})
	if err != nil {
		return err
	}
	return c.print(resp, func(w io.Writer) error {
		return printTable(w, resp.GetDomains(), []string{"name", "active", "max-size-mb", "max-accounts", "max-aliases", "max-lists"}, "no domains")
	})
}

func domainShow(c *ctlCall) error {
	d, err := c.domain(c.args[0])
	if err != nil {
		return err
	}
	return c.print(d, func(w io.Writer) error { return printObject(w, d) })
}

func domainAdd(c *ctlCall) error {
	d := &adminv1.Domain{Name: c.args[0], Active: true}
	if err := c.applyFields(d); err != nil {
		return err
	}
	created, err := unary(c, c.client.Domains.CreateDomain, d)
	if err != nil {
		return err
	}
	return c.done(created, "added domain %s", created.GetName())
}

func domainSet(c *ctlCall) error {
	d, err := c.domain(c.args[0])
	if err != nil {
		return err
	}
	if err := c.changeFields(d); err != nil {
		return err
	}
	updated, err := unary(c, c.client.Domains.UpdateDomain, d)
	if err != nil {
		return err
	}
	return c.done(updated, "changed domain %s", updated.GetName())
}

func domainDelete(c *ctlCall) error {
	d, err := c.domain(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.Domains.DeleteDomain, &adminv1.DeleteDomainRequest{Id: d.GetId()})
	if err != nil {
		return err
	}
	return c.done(resp, "deleted domain %s", d.GetName())
}

func (c *ctlCall) domainAliases(domainName string) (*adminv1.Domain, *adminv1.ListDomainAliasesResponse, error) {
	d, err := c.domain(domainName)
	if err != nil {
		return nil, nil, err
	}
	resp, err := unary(c, c.client.Domains.ListDomainAliases, &adminv1.ListDomainAliasesRequest{DomainId: d.GetId()})
	return d, resp, err
}

func domainAliasList(c *ctlCall) error {
	_, resp, err := c.domainAliases(c.args[0])
	if err != nil {
		return err
	}
	return c.print(resp, func(w io.Writer) error {
		for _, a := range resp.GetAliases() {
			fmt.Fprintln(w, a.GetName())
		}
		return nil
	})
}

func domainAliasAdd(c *ctlCall) error {
	d, err := c.domain(c.args[0])
	if err != nil {
		return err
	}
	a, err := unary(c, c.client.Domains.AddDomainAlias, &adminv1.DomainAlias{DomainId: d.GetId(), Name: c.args[1]})
	if err != nil {
		return err
	}
	return c.done(a, "%s is now also called %s", d.GetName(), a.GetName())
}

func domainAliasRemove(c *ctlCall) error {
	d, aliases, err := c.domainAliases(c.args[0])
	if err != nil {
		return err
	}
	for _, a := range aliases.GetAliases() {
		if strings.EqualFold(a.GetName(), c.args[1]) {
			resp, err := unary(c, c.client.Domains.RemoveDomainAlias, &adminv1.RemoveDomainAliasRequest{Id: a.GetId()})
			if err != nil {
				return err
			}
			return c.done(resp, "%s is no longer called %s", d.GetName(), a.GetName())
		}
	}
	return fmt.Errorf("%s has no other name %s", d.GetName(), c.args[1])
}

// Accounts.

func accountList(c *ctlCall) error {
	d, err := c.domain(c.args[0])
	if err != nil {
		return err
	}
	req := &adminv1.ListAccountsRequest{DomainId: d.GetId(), Filter: c.option("filter")}
	for name, field := range map[string]*int32{"limit": &req.Limit, "offset": &req.Offset} {
		if text := c.option(name); text != "" {
			n, err := strconv.ParseInt(text, 10, 32)
			if err != nil {
				return fmt.Errorf("--%s: %q is not a whole number", name, text)
			}
			*field = int32(n)
		}
	}
	resp, err := unary(c, c.client.Accounts.ListAccounts, req)
	if err != nil {
		return err
	}
	return c.print(resp, func(w io.Writer) error {
		err := printTable(w, resp.GetAccounts(), []string{"address", "active", "admin-level", "max-size-mb", "size-bytes", "last-logon-at"}, "no accounts")
		if shown := int32(len(resp.GetAccounts())); err == nil && req.Offset+shown < resp.GetTotal() {
			fmt.Fprintf(c.stderr, "showing %d to %d of %d accounts; see --offset and --limit\n", req.Offset+1, req.Offset+shown, resp.GetTotal())
		}
		return err
	})
}

func accountShow(c *ctlCall) error {
	a, err := c.account(c.args[0])
	if err != nil {
		return err
	}
	return c.print(a, func(w io.Writer) error { return printObject(w, a) })
}

func accountAdd(c *ctlCall) error {
	if !c.switchOn("account-password-stdin") {
		return errors.New("an account needs a password: give it on stdin with --account-password-stdin")
	}
	password, err := c.readLine("the account's password")
	if err != nil {
		return err
	}
	a := &adminv1.Account{Address: c.args[0], Active: true}
	if err := c.applyFields(a); err != nil {
		return err
	}
	created, err := unary(c, c.client.Accounts.CreateAccount, &adminv1.CreateAccountRequest{Account: a, Password: password})
	if err != nil {
		return err
	}
	return c.done(created, "added account %s", created.GetAddress())
}

func accountSet(c *ctlCall) error {
	a, err := c.account(c.args[0])
	if err != nil {
		return err
	}
	if err := c.changeFields(a); err != nil {
		return err
	}
	updated, err := unary(c, c.client.Accounts.UpdateAccount, a)
	if err != nil {
		return err
	}
	return c.done(updated, "changed account %s", updated.GetAddress())
}

func accountPassword(c *ctlCall) error {
	password, err := c.readLine("the new password")
	if err != nil {
		return err
	}
	a, err := c.account(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.Accounts.SetAccountPassword, &adminv1.SetAccountPasswordRequest{Id: a.GetId(), Password: password})
	if err != nil {
		return err
	}
	return c.done(resp, "set the password of %s", a.GetAddress())
}

func accountDelete(c *ctlCall) error {
	a, err := c.account(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.Accounts.DeleteAccount, &adminv1.DeleteAccountRequest{Id: a.GetId()})
	if err != nil {
		return err
	}
	return c.done(resp, "deleted account %s", a.GetAddress())
}

func accountUnlock(c *ctlCall) error {
	a, err := c.account(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.Accounts.UnlockAccount, &adminv1.UnlockAccountRequest{Id: a.GetId()})
	if err != nil {
		return err
	}
	return c.done(resp, "unlocked %s", a.GetAddress())
}

func accountEmpty(c *ctlCall) error {
	a, err := c.account(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.Accounts.EmptyAccount, &adminv1.EmptyAccountRequest{Id: a.GetId()})
	if err != nil {
		return err
	}
	return c.done(resp, "deleted %s of %s", countOf(int(resp.GetDeletedMessages()), "message"), a.GetAddress())
}

// accountFolders prints each folder by its path ("INBOX/Archive").
func accountFolders(c *ctlCall) error {
	a, err := c.account(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.Accounts.ListFolders, &adminv1.ListFoldersRequest{AccountId: a.GetId()})
	if err != nil {
		return err
	}
	return c.print(resp, func(w io.Writer) error {
		byID := map[int64]*adminv1.Folder{}
		for _, f := range resp.GetFolders() {
			byID[f.GetId()] = f
		}
		rows := make([]*adminv1.Folder, 0, len(resp.GetFolders()))
		for _, f := range resp.GetFolders() {
			row := proto.CloneOf(f)
			for parent, depth := byID[f.GetParentId()], 0; parent != nil && depth < len(byID); parent, depth = byID[parent.GetParentId()], depth+1 {
				row.Name = parent.GetName() + "/" + row.GetName()
			}
			rows = append(rows, row)
		}
		return printTable(w, rows, []string{"name", "messages", "subscribed", "uid-validity", "uid-next"}, "no folders")
	})
}

// Aliases.

// allAliases reads every alias of a domain whose address contains filter,
// a page at a time.
func (c *ctlCall) allAliases(domainID int64, filter string) (*adminv1.ListAliasesResponse, error) {
	all := &adminv1.ListAliasesResponse{}
	for {
		resp, err := unary(c, c.client.Aliases.ListAliases, &adminv1.ListAliasesRequest{
			DomainId: domainID, Filter: filter, Limit: 1000, Offset: int32(len(all.Aliases))})
		if err != nil {
			return nil, err
		}
		all.Aliases = append(all.Aliases, resp.GetAliases()...)
		all.Total = resp.GetTotal()
		if len(resp.GetAliases()) == 0 || len(all.Aliases) >= int(resp.GetTotal()) {
			return all, nil
		}
	}
}

func aliasList(c *ctlCall) error {
	d, err := c.domain(c.args[0])
	if err != nil {
		return err
	}
	resp, err := c.allAliases(d.GetId(), "")
	if err != nil {
		return err
	}
	return c.print(resp, func(w io.Writer) error {
		return printTable(w, resp.GetAliases(), []string{"address", "target", "active"}, "no aliases")
	})
}

func aliasShow(c *ctlCall) error {
	a, err := c.alias(c.args[0])
	if err != nil {
		return err
	}
	return c.print(a, func(w io.Writer) error { return printObject(w, a) })
}

func aliasAdd(c *ctlCall) error {
	a := &adminv1.Alias{Address: c.args[0], Target: c.args[1], Active: true}
	if err := c.applyFields(a); err != nil {
		return err
	}
	created, err := unary(c, c.client.Aliases.CreateAlias, a)
	if err != nil {
		return err
	}
	return c.done(created, "added alias %s → %s", created.GetAddress(), created.GetTarget())
}

func aliasSet(c *ctlCall) error {
	a, err := c.alias(c.args[0])
	if err != nil {
		return err
	}
	if err := c.changeFields(a); err != nil {
		return err
	}
	updated, err := unary(c, c.client.Aliases.UpdateAlias, a)
	if err != nil {
		return err
	}
	return c.done(updated, "changed alias %s → %s", updated.GetAddress(), updated.GetTarget())
}

func aliasDelete(c *ctlCall) error {
	a, err := c.alias(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.Aliases.DeleteAlias, &adminv1.DeleteAliasRequest{Id: a.GetId()})
	if err != nil {
		return err
	}
	return c.done(resp, "deleted alias %s", a.GetAddress())
}

// Distribution lists.

func listList(c *ctlCall) error {
	d, err := c.domain(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.Lists.ListLists, &adminv1.ListListsRequest{DomainId: d.GetId()})
	if err != nil {
		return err
	}
	return c.print(resp, func(w io.Writer) error {
		return printTable(w, resp.GetLists(), []string{"address", "active", "mode", "require-smtp-auth", "announcer-address"}, "no distribution lists")
	})
}

func listShow(c *ctlCall) error {
	l, err := c.distributionList(c.args[0])
	if err != nil {
		return err
	}
	return c.print(l, func(w io.Writer) error { return printObject(w, l) })
}

func listAdd(c *ctlCall) error {
	l := &adminv1.DistributionList{Address: c.args[0], Active: true}
	if err := c.applyFields(l); err != nil {
		return err
	}
	created, err := unary(c, c.client.Lists.CreateList, l)
	if err != nil {
		return err
	}
	return c.done(created, "added distribution list %s", created.GetAddress())
}

func listSet(c *ctlCall) error {
	l, err := c.distributionList(c.args[0])
	if err != nil {
		return err
	}
	if err := c.changeFields(l); err != nil {
		return err
	}
	updated, err := unary(c, c.client.Lists.UpdateList, l)
	if err != nil {
		return err
	}
	return c.done(updated, "changed distribution list %s", updated.GetAddress())
}

func listDelete(c *ctlCall) error {
	l, err := c.distributionList(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.Lists.DeleteList, &adminv1.DeleteListRequest{Id: l.GetId()})
	if err != nil {
		return err
	}
	return c.done(resp, "deleted distribution list %s", l.GetAddress())
}

func printLines(lines []string) func(io.Writer) error {
	return func(w io.Writer) error {
		for _, line := range lines {
			if _, err := fmt.Fprintln(w, line); err != nil {
				return err
			}
		}
		return nil
	}
}

func listMembers(c *ctlCall) error {
	l, err := c.distributionList(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.Lists.ListMembers, &adminv1.ListMembersRequest{ListId: l.GetId()})
	if err != nil {
		return err
	}
	return c.print(resp, printLines(resp.GetAddresses()))
}

// changeListMembers adds or removes each member in turn and prints the
// members after the last change.
func changeListMembers(c *ctlCall, method func(context.Context, *connect.Request[adminv1.ListMemberRequest]) (*connect.Response[adminv1.ListMembersResponse], error)) error {
	l, err := c.distributionList(c.args[0])
	if err != nil {
		return err
	}
	var resp *adminv1.ListMembersResponse
	for _, member := range c.args[1:] {
		if resp, err = unary(c, method, &adminv1.ListMemberRequest{ListId: l.GetId(), Address: member}); err != nil {
			return fmt.Errorf("%s: %w", member, err)
		}
	}
	return c.print(resp, printLines(resp.GetAddresses()))
}

func listMemberAdd(c *ctlCall) error    { return changeListMembers(c, c.client.Lists.AddMember) }
func listMemberRemove(c *ctlCall) error { return changeListMembers(c, c.client.Lists.RemoveMember) }

// Groups.

func groupList(c *ctlCall) error {
	resp, err := unary(c, c.client.Groups.ListGroups, &adminv1.ListGroupsRequest{})
	if err != nil {
		return err
	}
	return c.print(resp, func(w io.Writer) error {
		names := make([]string, 0, len(resp.GetGroups()))
		for _, g := range resp.GetGroups() {
			names = append(names, g.GetName())
		}
		return printLines(names)(w)
	})
}

func groupAdd(c *ctlCall) error {
	g, err := unary(c, c.client.Groups.CreateGroup, &adminv1.Group{Name: c.args[0]})
	if err != nil {
		return err
	}
	return c.done(g, "added group %s", g.GetName())
}

func groupDelete(c *ctlCall) error {
	g, err := c.group(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.Groups.DeleteGroup, &adminv1.DeleteGroupRequest{Id: g.GetId()})
	if err != nil {
		return err
	}
	return c.done(resp, "deleted group %s", g.GetName())
}

// printGroupMembers prints a group's accounts by address; --json gives
// the server's account ids.
func (c *ctlCall) printGroupMembers(resp *adminv1.ListGroupMembersResponse) error {
	return c.print(resp, func(w io.Writer) error {
		addresses := make([]string, 0, len(resp.GetAccountIds()))
		for _, id := range resp.GetAccountIds() {
			a, err := unary(c, c.client.Accounts.GetAccount, &adminv1.GetAccountRequest{Id: id})
			if err != nil {
				return fmt.Errorf("account %d: %w", id, err)
			}
			addresses = append(addresses, a.GetAddress())
		}
		return printLines(addresses)(w)
	})
}

func groupMembers(c *ctlCall) error {
	g, err := c.group(c.args[0])
	if err != nil {
		return err
	}
	resp, err := unary(c, c.client.Groups.ListGroupMembers, &adminv1.ListGroupMembersRequest{GroupId: g.GetId()})
	if err != nil {
		return err
	}
	return c.printGroupMembers(resp)
}

func changeGroupMembers(c *ctlCall, method func(context.Context, *connect.Request[adminv1.GroupMemberRequest]) (*connect.Response[adminv1.ListGroupMembersResponse], error)) error {
	g, err := c.group(c.args[0])
	if err != nil {
		return err
	}
	var resp *adminv1.ListGroupMembersResponse
	for _, address := range c.args[1:] {
		a, err := c.account(address)
		if err != nil {
			return err
		}
		if resp, err = unary(c, method, &adminv1.GroupMemberRequest{GroupId: g.GetId(), AccountId: a.GetId()}); err != nil {
			return fmt.Errorf("%s: %w", address, err)
		}
	}
	return c.printGroupMembers(resp)
}

func groupMemberAdd(c *ctlCall) error { return changeGroupMembers(c, c.client.Groups.AddGroupMember) }
func groupMemberRemove(c *ctlCall) error {
	return changeGroupMembers(c, c.client.Groups.RemoveGroupMember)
}
