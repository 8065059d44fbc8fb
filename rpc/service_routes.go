package rpc

import (
	"context"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

// Routes (manual: Routes): server administrators only. A route's password
// is write-only: no answer carries it, and an update without one keeps
// the stored password.

func (s *routeService) ListRoutes(ctx context.Context, _ *connect.Request[adminv1.ListRoutesRequest]) (*connect.Response[adminv1.ListRoutesResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	routes, err := s.opts.Store.Routes(ctx)
	if err != nil {
		return nil, toConnect(err)
	}
	out := &adminv1.ListRoutesResponse{}
	for _, r := range routes {
		out.Routes = append(out.Routes, routeToProto(r))
	}
	return connect.NewResponse(out), nil
}

func (s *routeService) CreateRoute(ctx context.Context, req *connect.Request[adminv1.Route]) (*connect.Response[adminv1.Route], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	r, err := routeFromProto(req.Msg)
	if err != nil {
		return nil, err
	}
	r.ID = 0
	if r, err = s.opts.Store.CreateRoute(ctx, r); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "route created", "id", r.ID, "domain", r.Domain, "target", r.TargetHost, "port", r.TargetPort)
	return connect.NewResponse(routeToProto(r)), nil
}

func (s *routeService) UpdateRoute(ctx context.Context, req *connect.Request[adminv1.Route]) (*connect.Response[adminv1.Route], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	r, err := routeFromProto(req.Msg)
	if err != nil {
		return nil, err
	}
	stored, err := s.opts.Store.Route(ctx, r.ID)
	if err != nil {
		return nil, toConnect(err)
	}
	passwordChanged := r.Password != ""
	if !passwordChanged {
		r.Password = stored.Password
	}
	if err := s.opts.Store.UpdateRoute(ctx, r); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "route changed", "id", r.ID, "domain", r.Domain, "target", r.TargetHost, "port", r.TargetPort, "password_changed", passwordChanged)
	return connect.NewResponse(routeToProto(r)), nil
}

func (s *routeService) DeleteRoute(ctx context.Context, req *connect.Request[adminv1.DeleteRouteRequest]) (*connect.Response[adminv1.DeleteRouteResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	if err := s.opts.Store.DeleteRoute(ctx, req.Msg.GetId()); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "route deleted", "id", req.Msg.GetId())
	return connect.NewResponse(&adminv1.DeleteRouteResponse{}), nil
}
