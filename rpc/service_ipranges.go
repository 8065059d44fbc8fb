package rpc

import (
	"context"
	"strings"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

// IP ranges (manual: IP ranges): server administrators only. Every change
// tells the running server's range cache to read them again.

// ListIPRanges pages through the IP ranges in the store's order; filter,
// when set, keeps the ranges whose name or addresses contain it. There are
// few ranges, so the paging is done here rather than in the store.
func (s *ipRangeService) ListIPRanges(ctx context.Context, req *connect.Request[adminv1.ListIPRangesRequest]) (*connect.Response[adminv1.ListIPRangesResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	limit, offset, err := listPage(req.Msg.GetFilter(), req.Msg.GetLimit(), req.Msg.GetOffset())
	if err != nil {
		return nil, err
	}
	ranges, err := s.opts.Store.IPRanges(ctx)
	if err != nil {
		return nil, toConnect(err)
	}
	filter := strings.ToLower(req.Msg.GetFilter())
	var matching []store.IPRange
	for _, r := range ranges {
		if filter == "" || strings.Contains(strings.ToLower(r.Name), filter) ||
			strings.Contains(strings.ToLower(r.Lower.String()), filter) || strings.Contains(strings.ToLower(r.Upper.String()), filter) {
			matching = append(matching, r)
		}
	}
	out := &adminv1.ListIPRangesResponse{Total: int32(len(matching))}
	for _, r := range matching[min(offset, len(matching)):min(offset+limit, len(matching))] {
		out.Ranges = append(out.Ranges, ipRangeToProto(r))
	}
	return connect.NewResponse(out), nil
}

func (s *ipRangeService) CreateIPRange(ctx context.Context, req *connect.Request[adminv1.IPRange]) (*connect.Response[adminv1.IPRange], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	r, err := ipRangeFromProto(req.Msg)
	if err != nil {
		return nil, err
	}
	r.ID = 0
	r, err = s.opts.Store.CreateIPRange(ctx, r)
	if err != nil {
		return nil, toConnect(err)
	}
	s.rangesChanged()
	s.audit(ctx, "IP range created", "id", r.ID, "name", r.Name, "lower", r.Lower, "upper", r.Upper, "priority", r.Priority)
	return connect.NewResponse(ipRangeToProto(r)), nil
}

func (s *ipRangeService) UpdateIPRange(ctx context.Context, req *connect.Request[adminv1.IPRange]) (*connect.Response[adminv1.IPRange], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	r, err := ipRangeFromProto(req.Msg)
	if err != nil {
		return nil, err
	}
	if err := s.opts.Store.UpdateIPRange(ctx, r); err != nil {
		return nil, toConnect(err)
	}
	s.rangesChanged()
	s.audit(ctx, "IP range changed", "id", r.ID, "name", r.Name, "lower", r.Lower, "upper", r.Upper, "priority", r.Priority)
	return connect.NewResponse(ipRangeToProto(r)), nil
}

func (s *ipRangeService) DeleteIPRange(ctx context.Context, req *connect.Request[adminv1.DeleteIPRangeRequest]) (*connect.Response[adminv1.DeleteIPRangeResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	if err := s.opts.Store.DeleteIPRange(ctx, req.Msg.GetId()); err != nil {
		return nil, toConnect(err)
	}
	s.rangesChanged()
	s.audit(ctx, "IP range deleted", "id", req.Msg.GetId())
	return connect.NewResponse(&adminv1.DeleteIPRangeResponse{}), nil
}

// rangesChanged makes the running server read the IP ranges again.
func (s *ipRangeService) rangesChanged() {
	if s.opts.Ranges != nil {
		s.opts.Ranges.Invalidate()
	}
}
