package rpc

import (
	"fmt"
	"testing"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

func TestListAliasesPagesFiltersAndCounts(t *testing.T) {
	api := newTestAPI(t)
	c := api.AsAdmin(t)
	ctx := testContext(t)
	domain, err := api.Store.CreateDomain(ctx, store.Domain{Name: "example.com", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	const n = 150
	for i := range n {
		if _, err := api.Store.CreateAlias(ctx, store.Alias{Address: fmt.Sprintf("a%03d@example.com", i), Target: "t@example.net", Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	list := func(req *adminv1.ListAliasesRequest) *adminv1.ListAliasesResponse {
		t.Helper()
		req.DomainId = domain.ID
		resp, err := c.Aliases.ListAliases(ctx, connect.NewRequest(req))
		if err != nil {
			t.Fatal(err)
		}
		return resp.Msg
	}
	if got := list(&adminv1.ListAliasesRequest{}); got.GetTotal() != n || len(got.GetAliases()) != 100 {
		t.Errorf("no limit: total %d, %d rows; want %d and the default 100", got.GetTotal(), len(got.GetAliases()), n)
	}
	got := list(&adminv1.ListAliasesRequest{Limit: 20, Offset: 140})
	if got.GetTotal() != n || len(got.GetAliases()) != 10 || got.GetAliases()[0].GetAddress() != "a140@example.com" {
		t.Errorf("the last page: total %d, %v", got.GetTotal(), got.GetAliases())
	}
	if got := list(&adminv1.ListAliasesRequest{Limit: 5000}); len(got.GetAliases()) != n {
		t.Errorf("limit 5000 gave %d rows", len(got.GetAliases()))
	}
	got = list(&adminv1.ListAliasesRequest{Filter: "A01", Limit: 5})
	if got.GetTotal() != 10 || len(got.GetAliases()) != 5 || got.GetAliases()[0].GetAddress() != "a010@example.com" {
		t.Errorf("filter a01: total %d, %v", got.GetTotal(), got.GetAliases())
	}
	_, err = c.Aliases.ListAliases(ctx, connect.NewRequest(&adminv1.ListAliasesRequest{DomainId: domain.ID, Offset: -1}))
	pagesFieldError(t, err, "offset")
}

func TestListIPRangesPagesFiltersAndCounts(t *testing.T) {
	api := newTestAPI(t)
	c := api.AsAdmin(t)
	ctx := testContext(t)
	defaults := len(listRanges(t, c))
	const n = 30
	for i := range n {
		if _, err := c.IPRanges.CreateIPRange(ctx, pagesReq(&adminv1.IPRange{
			Name: fmt.Sprintf("Branch %02d", i), Priority: 10, LowerIp: fmt.Sprintf("10.1.%d.0", i), UpperIp: fmt.Sprintf("10.1.%d.255", i),
		})); err != nil {
			t.Fatal(err)
		}
	}
	list := func(req *adminv1.ListIPRangesRequest) *adminv1.ListIPRangesResponse {
		t.Helper()
		resp, err := c.IPRanges.ListIPRanges(ctx, pagesReq(req))
		if err != nil {
			t.Fatal(err)
		}
		return resp.Msg
	}
	all := list(&adminv1.ListIPRangesRequest{})
	if int(all.GetTotal()) != defaults+n || len(all.GetRanges()) != defaults+n {
		t.Fatalf("total %d, %d rows; want %d", all.GetTotal(), len(all.GetRanges()), defaults+n)
	}
	page := list(&adminv1.ListIPRangesRequest{Limit: 7, Offset: 7})
	if int(page.GetTotal()) != defaults+n || len(page.GetRanges()) != 7 || page.GetRanges()[0].GetId() != all.GetRanges()[7].GetId() {
		t.Errorf("the second page of 7: total %d, %v", page.GetTotal(), page.GetRanges())
	}
	if past := list(&adminv1.ListIPRangesRequest{Offset: 1000}); len(past.GetRanges()) != 0 || int(past.GetTotal()) != defaults+n {
		t.Errorf("past the end: %v", past)
	}
	if got := list(&adminv1.ListIPRangesRequest{Filter: "branch 1"}); got.GetTotal() != 10 || len(got.GetRanges()) != 10 {
		t.Errorf("filter branch 1: total %d", got.GetTotal())
	}
	if got := list(&adminv1.ListIPRangesRequest{Filter: "10.1.29.255"}); got.GetTotal() != 1 || got.GetRanges()[0].GetName() != "Branch 29" {
		t.Errorf("filter by address: %v", got)
	}
	_, err := c.IPRanges.ListIPRanges(ctx, pagesReq(&adminv1.ListIPRangesRequest{Offset: -1}))
	pagesFieldError(t, err, "offset")
}
