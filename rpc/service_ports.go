package rpc

import (
	"context"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
)

// TCP/IP ports and SSL certificates (manual: TCP/IP ports, SSL
// certificates): server administrators only. The listeners follow the
// ports when the mail server is next started.

func (s *portService) ListPorts(ctx context.Context, _ *connect.Request[adminv1.ListPortsRequest]) (*connect.Response[adminv1.ListPortsResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	ports, err := s.opts.Store.Ports(ctx)
	if err != nil {
		return nil, toConnect(err)
	}
	out := &adminv1.ListPortsResponse{}
	for _, p := range ports {
		out.Ports = append(out.Ports, portToProto(p))
	}
	return connect.NewResponse(out), nil
}

func (s *portService) CreatePort(ctx context.Context, req *connect.Request[adminv1.Port]) (*connect.Response[adminv1.Port], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	p, err := portFromProto(req.Msg)
	if err != nil {
		return nil, err
	}
	p.ID = 0
	if p, err = s.opts.Store.CreatePort(ctx, p); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "TCP/IP port created", "id", p.ID, "protocol", p.Protocol, "address", p.Address, "port", p.Port, "security", int(p.Security))
	return connect.NewResponse(portToProto(p)), nil
}

func (s *portService) DeletePort(ctx context.Context, req *connect.Request[adminv1.DeletePortRequest]) (*connect.Response[adminv1.DeletePortResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	if err := s.opts.Store.DeletePort(ctx, req.Msg.GetId()); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "TCP/IP port deleted", "id", req.Msg.GetId())
	return connect.NewResponse(&adminv1.DeletePortResponse{}), nil
}

func (s *portService) ListCertificates(ctx context.Context, _ *connect.Request[adminv1.ListCertificatesRequest]) (*connect.Response[adminv1.ListCertificatesResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	certs, err := s.opts.Store.Certificates(ctx)
	if err != nil {
		return nil, toConnect(err)
	}
	out := &adminv1.ListCertificatesResponse{}
	for _, c := range certs {
		out.Certificates = append(out.Certificates, certificateToProto(c))
	}
	return connect.NewResponse(out), nil
}

func (s *portService) CreateCertificate(ctx context.Context, req *connect.Request[adminv1.Certificate]) (*connect.Response[adminv1.Certificate], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	c, err := certificateFromProto(req.Msg)
	if err != nil {
		return nil, err
	}
	c.ID = 0
	if c, err = s.opts.Store.CreateCertificate(ctx, c); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "SSL certificate created", "id", c.ID, "name", c.Name, "certificate_file", c.CertificateFile, "private_key_file", c.PrivateKeyFile)
	return connect.NewResponse(certificateToProto(c)), nil
}

func (s *portService) DeleteCertificate(ctx context.Context, req *connect.Request[adminv1.DeleteCertificateRequest]) (*connect.Response[adminv1.DeleteCertificateResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	if err := s.opts.Store.DeleteCertificate(ctx, req.Msg.GetId()); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "SSL certificate deleted", "id", req.Msg.GetId())
	return connect.NewResponse(&adminv1.DeleteCertificateResponse{}), nil
}
