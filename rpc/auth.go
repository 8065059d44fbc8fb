package rpc

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"

	"connectrpc.com/connect"

	"github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1/adminv1connect"
	"github.com/mailwright/mailwright/store"
)

// errNotLoggedIn answers a call without a usable session token; it does not
// say whether the token was missing, unknown or expired.
var errNotLoggedIn = connect.NewError(connect.CodeUnauthenticated,
	errors.New("not logged in or the session has expired: log in again"))

// authInterceptor checks the session token of every call except Login and
// puts the caller into the request's context (see PrincipalFrom). It
// covers unary calls and server streams alike.
func (s *Server) authInterceptor() connect.Interceptor {
	return &authInterceptor{server: s}
}

type authInterceptor struct {
	server *Server
}

// needsNoLogin lists the procedures a caller may use before logging in.
func needsNoLogin(procedure string) bool {
	return procedure == adminv1connect.AuthServiceLoginProcedure
}

func (a *authInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient || needsNoLogin(req.Spec().Procedure) {
			res, err := next(ctx, req)
			return res, a.server.sanitize(req.Spec().Procedure, err)
		}
		ctx, err := a.server.authenticate(ctx, req.Header())
		if err != nil {
			return nil, err
		}
		res, err := next(ctx, req)
		return res, a.server.sanitize(req.Spec().Procedure, err)
	}
}

func (a *authInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (a *authInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if needsNoLogin(conn.Spec().Procedure) {
			return next(ctx, conn)
		}
		ctx, err := a.server.authenticate(ctx, conn.RequestHeader())
		if err != nil {
			return err
		}
		return a.server.sanitize(conn.Spec().Procedure, next(ctx, conn))
	}
}

// authenticate finds the session named by the request's
// "Authorization: Bearer <token>" header and returns ctx with its caller.
// An account's session is checked against the database on every call: it
// ends when the account was deleted or disabled or its password changed,
// and a changed admin level applies at once.
func (s *Server) authenticate(ctx context.Context, header http.Header) (context.Context, error) {
	token := bearerToken(header)
	p, stamp, ok := s.sessions.lookup(token)
	if !ok {
		return ctx, errNotLoggedIn
	}
	if p.AccountID != 0 {
		current, err := s.currentAccount(ctx, p, stamp)
		if errors.Is(err, errCredentialsChanged) {
			s.sessions.remove(token)
			s.opts.Log.Info("admin: session ended: the account was changed, disabled or deleted", "username", p.Username)
			return ctx, errNotLoggedIn
		}
		if err != nil {
			return ctx, toConnect(err)
		}
		p = current
	}
	return withPrincipal(ctx, p), nil
}

// errCredentialsChanged means an account's session may not go on.
var errCredentialsChanged = errors.New("the account's credentials changed")

// currentAccount returns p with the account's current address, level and
// domain, or errCredentialsChanged when its credential stamp is no longer
// stamp or it is disabled or gone.
func (s *Server) currentAccount(ctx context.Context, p Principal, stamp string) (Principal, error) {
	a, err := s.opts.Store.Account(ctx, p.AccountID)
	if errors.Is(err, store.ErrNotFound) {
		return p, errCredentialsChanged
	}
	if err != nil {
		return p, err
	}
	now, err := s.opts.Store.CredentialStamp(ctx, p.AccountID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (now != stamp || now == disabledStamp)) {
		return p, errCredentialsChanged
	}
	if err != nil {
		return p, err
	}
	p.Username, p.Level, p.DomainID = a.Address, a.AdminLevel, a.DomainID
	return p, nil
}

// disabledStamp is store.CredentialStamp's value for a disabled account.
const disabledStamp = "disabled"

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header, or "" when there is none. The scheme is case-insensitive
// (RFC 9110 11.1).
func bearerToken(header http.Header) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// peerIP is the client's address from Connect's Peer ("ip:port"); the
// zero Addr when it cannot be read.
func peerIP(peer connect.Peer) netip.Addr {
	if ap, err := netip.ParseAddrPort(peer.Addr); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	if ip, err := netip.ParseAddr(peer.Addr); err == nil {
		return ip.Unmap().WithZone("")
	}
	return netip.Addr{}
}
