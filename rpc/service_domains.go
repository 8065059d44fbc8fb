package rpc

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

// Domains and their other names. Server administrators do everything; a
// domain administrator may read its own domain and its names; creating,
// changing and deleting domains and domain names is for server
// administrators only.

func (s *domainService) ListDomains(ctx context.Context, _ *connect.Request[adminv1.ListDomainsRequest]) (*connect.Response[adminv1.ListDomainsResponse], error) {
	p, ok := PrincipalFrom(ctx)
	if ok && p.Level == store.AdminDomain {
		// A domain administrator's list is its own domain.
		if _, err := requireDomain(ctx, p.DomainID); err != nil {
			return nil, err
		}
		d, err := s.opts.Store.Domain(ctx, p.DomainID)
		if err != nil {
			return nil, toConnect(err)
		}
		return connect.NewResponse(&adminv1.ListDomainsResponse{Domains: []*adminv1.Domain{domainToProto(d)}}), nil
	}
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	domains, err := s.opts.Store.Domains(ctx)
	if err != nil {
		return nil, toConnect(err)
	}
	out := &adminv1.ListDomainsResponse{Domains: make([]*adminv1.Domain, 0, len(domains))}
	for _, d := range domains {
		out.Domains = append(out.Domains, domainToProto(d))
	}
	return connect.NewResponse(out), nil
}

// GetDomain finds a domain by id or, when the id is 0, by its name or one
// of its alias names.
func (s *domainService) GetDomain(ctx context.Context, req *connect.Request[adminv1.GetDomainRequest]) (*connect.Response[adminv1.Domain], error) {
	if err := checkFieldSizes(nameField("name", req.Msg.GetName())); err != nil {
		return nil, err
	}
	var d store.Domain
	var err error
	if id := req.Msg.GetId(); id != 0 {
		d, err = s.opts.Store.Domain(ctx, id)
	} else {
		d, err = s.opts.Store.DomainByName(ctx, req.Msg.GetName())
	}
	if _, err := requireDomainOf(ctx, d.ID, err); err != nil {
		return nil, err
	}
	return connect.NewResponse(domainToProto(d)), nil
}

func (s *domainService) CreateDomain(ctx context.Context, req *connect.Request[adminv1.Domain]) (*connect.Response[adminv1.Domain], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	if err := checkFieldSizes(domainSizes(req.Msg)...); err != nil {
		return nil, err
	}
	d, err := s.opts.Store.CreateDomain(ctx, domainFromProto(req.Msg))
	if err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "create domain", "domain", d.Name, "id", d.ID)
	return connect.NewResponse(domainToProto(d)), nil
}

// UpdateDomain saves every setting of the domain with the message's id.
func (s *domainService) UpdateDomain(ctx context.Context, req *connect.Request[adminv1.Domain]) (*connect.Response[adminv1.Domain], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	if err := checkFieldSizes(domainSizes(req.Msg)...); err != nil {
		return nil, err
	}
	if err := s.opts.Store.UpdateDomain(ctx, domainFromProto(req.Msg)); err != nil {
		return nil, toConnect(err)
	}
	d, err := s.opts.Store.Domain(ctx, req.Msg.GetId())
	if err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "update domain", "domain", d.Name, "id", d.ID)
	return connect.NewResponse(domainToProto(d)), nil
}

// DeleteDomain deletes the domain with everything in it.
func (s *domainService) DeleteDomain(ctx context.Context, req *connect.Request[adminv1.DeleteDomainRequest]) (*connect.Response[adminv1.DeleteDomainResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	d, err := s.opts.Store.Domain(ctx, req.Msg.GetId())
	if err != nil {
		return nil, toConnect(err)
	}
	if err := s.opts.Store.DeleteDomain(ctx, d.ID); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "delete domain", "domain", d.Name, "id", d.ID)
	return connect.NewResponse(&adminv1.DeleteDomainResponse{}), nil
}

func (s *domainService) ListDomainAliases(ctx context.Context, req *connect.Request[adminv1.ListDomainAliasesRequest]) (*connect.Response[adminv1.ListDomainAliasesResponse], error) {
	domainID, err := s.domainInScope(ctx, req.Msg.GetDomainId())
	if err != nil {
		return nil, err
	}
	aliases, err := s.opts.Store.DomainAliases(ctx, domainID)
	if err != nil {
		return nil, toConnect(err)
	}
	out := &adminv1.ListDomainAliasesResponse{Aliases: make([]*adminv1.DomainAlias, 0, len(aliases))}
	for _, a := range aliases {
		out.Aliases = append(out.Aliases, domainAliasToProto(a))
	}
	return connect.NewResponse(out), nil
}

func (s *domainService) AddDomainAlias(ctx context.Context, req *connect.Request[adminv1.DomainAlias]) (*connect.Response[adminv1.DomainAlias], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	if err := checkFieldSizes(nameField("name", req.Msg.GetName())); err != nil {
		return nil, err
	}
	a, err := s.opts.Store.AddDomainAlias(ctx, req.Msg.GetDomainId(), req.Msg.GetName())
	if err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "add domain alias", "name", a.Name, "domain_id", a.DomainID, "id", a.ID)
	return connect.NewResponse(domainAliasToProto(a)), nil
}

func (s *domainService) RemoveDomainAlias(ctx context.Context, req *connect.Request[adminv1.RemoveDomainAliasRequest]) (*connect.Response[adminv1.RemoveDomainAliasResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	if err := s.opts.Store.RemoveDomainAlias(ctx, req.Msg.GetId()); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "remove domain alias", "id", req.Msg.GetId())
	return connect.NewResponse(&adminv1.RemoveDomainAliasResponse{}), nil
}

// The permission checks shared by the services whose objects belong to a
// domain (accounts, aliases, lists).

// requireDomainOf authorizes a call on an object of domainID that was just
// looked up; lookupErr is the lookup's error. A missing object is checked
// as belonging to no domain, which only server administrators pass: anyone
// else gets PermissionDenied whether or not the object exists, and server
// administrators get NotFound.
func requireDomainOf(ctx context.Context, domainID int64, lookupErr error) (Principal, error) {
	if lookupErr != nil && !errors.Is(lookupErr, store.ErrNotFound) {
		return Principal{}, toConnect(lookupErr)
	}
	if lookupErr != nil {
		domainID = 0
	}
	p, err := requireDomain(ctx, domainID)
	if err != nil {
		return p, err
	}
	return p, toConnect(lookupErr)
}

// domainInScope checks a domain-wide listing. Domain id 0 means the
// caller's own domain for a domain administrator; a server administrator
// must name one. The domain must exist.
func (s *Server) domainInScope(ctx context.Context, domainID int64) (int64, error) {
	if p, ok := PrincipalFrom(ctx); ok && domainID == 0 && p.Level == store.AdminDomain {
		domainID = p.DomainID
	}
	if _, err := requireDomain(ctx, domainID); err != nil {
		return 0, err
	}
	if domainID == 0 {
		return 0, toConnect(&store.ValidationError{Field: "domain_id", Message: "choose a domain"})
	}
	if _, err := s.opts.Store.Domain(ctx, domainID); err != nil {
		return 0, toConnect(err)
	}
	return domainID, nil
}

// addressDomain finds the domain an object's new address will live in, for
// the permission check before the store creates it. An address with an
// unknown domain is checked as belonging to no domain; the store then
// explains to a server administrator what is wrong with it.
func (s *Server) addressDomain(ctx context.Context, field, address string) (int64, error) {
	if _, _, err := store.SplitAddress(field, address); err != nil {
		return 0, toConnect(err)
	}
	d, err := s.opts.Store.DomainByName(ctx, domainPart(address))
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, toConnect(err)
	}
	return d.ID, nil
}
