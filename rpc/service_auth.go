package rpc

import (
	"context"
	"errors"
	"net/netip"
	"strings"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/server/policy"
	"github.com/mailwright/mailwright/store"
	"github.com/mailwright/mailwright/store/password"
)

// administratorName is the user name of the main administrator, whose
// password is in mailwright.ini. An empty user name means the same.
const administratorName = "Administrator"

// autoBanPrefix starts the name of the IP ranges auto-ban creates.
const autoBanPrefix = "Auto-ban:"

// Longer user names and passwords are failed logins without a look-up
// (RFC 5321 4.5.3.1.3 bounds a path at 256 octets).
const (
	maxUsernameLength = 256
	maxPasswordLength = 1024
)

var (
	// errBadCredentials is the one answer to a wrong user name or a wrong
	// password, so a caller cannot learn which addresses exist.
	errBadCredentials = connect.NewError(connect.CodeUnauthenticated, store.ErrBadCredentials)
	errBanned         = connect.NewError(connect.CodePermissionDenied,
		errors.New("this address is banned after too many failed logins; try again later"))
	errDisabled = connect.NewError(connect.CodePermissionDenied, store.ErrAccountDisabled)
)

// Login checks the main administrator password or an account's address
// and password and starts a session.
func (s *authService) Login(ctx context.Context, req *connect.Request[adminv1.LoginRequest]) (*connect.Response[adminv1.LoginResponse], error) {
	ip := peerIP(req.Peer())
	username, plain := strings.TrimSpace(req.Msg.GetUsername()), req.Msg.GetPassword()

	banned, err := s.isBanned(ctx, ip)
	if err != nil {
		s.opts.Log.Error("admin: login: reading the IP ranges failed", "ip", ip, "error", err)
		return nil, toConnect(err)
	}
	if banned {
		s.opts.Log.Warn("admin: login refused: address is auto-banned", "username", username, "ip", ip)
		return nil, errBanned
	}

	if len(username) > maxUsernameLength || len(plain) > maxPasswordLength {
		s.loginFailed(ctx, username[:min(len(username), maxUsernameLength)], ip)
		return nil, errBadCredentials
	}
	p, stamp, err := s.checkCredentials(ctx, username, plain, ip)
	switch {
	case errors.Is(err, store.ErrBadCredentials):
		s.loginFailed(ctx, username, ip)
		return nil, errBadCredentials
	case errors.Is(err, store.ErrAccountDisabled):
		s.opts.Log.Warn("admin: login refused: account or domain disabled", "username", username, "ip", ip)
		return nil, errDisabled
	case err != nil:
		s.opts.Log.Error("admin: login failed", "username", username, "ip", ip, "error", err)
		return nil, toConnect(err)
	}
	if s.opts.AutoBan != nil && ip.IsValid() {
		s.opts.AutoBan.Succeeded(ip)
	}
	token, expires := s.sessions.create(p, stamp)
	s.opts.Log.Info("admin: login", "username", p.Username, "level", levelName(p.Level), "ip", ip)
	return connect.NewResponse(&adminv1.LoginResponse{
		Token:     token,
		ExpiresAt: expires.Unix(),
		Level:     adminv1.AdminLevel(p.Level),
		AccountId: p.AccountID,
		DomainId:  p.DomainID,
	}), nil
}

// checkCredentials returns the caller a user name and password stand for,
// with the account's credential stamp ("" for the main administrator), or
// store.ErrBadCredentials.
func (s *authService) checkCredentials(ctx context.Context, username, plain string, ip netip.Addr) (Principal, string, error) {
	if username == "" || strings.EqualFold(username, administratorName) {
		if ok, _ := password.Verify(s.opts.AdministratorPassword(), plain); !ok {
			return Principal{}, "", store.ErrBadCredentials
		}
		return Principal{Username: administratorName, Level: store.AdminServer}, "", nil
	}
	remote := ""
	if ip.IsValid() {
		remote = ip.String()
	}
	a, err := s.opts.Store.Authenticate(ctx, username, plain, remote)
	if err != nil {
		return Principal{}, "", err
	}
	stamp, err := s.opts.Store.CredentialStamp(ctx, a.ID)
	if err != nil {
		return Principal{}, "", err
	}
	return Principal{Username: a.Address, Level: a.AdminLevel, AccountID: a.ID, DomainID: a.DomainID}, stamp, nil
}

// isBanned reports whether ip falls in a range auto-ban made: one named
// "Auto-ban: ..." that allows no protocol.
func (s *authService) isBanned(ctx context.Context, ip netip.Addr) (bool, error) {
	if s.opts.Ranges == nil || !ip.IsValid() {
		return false, nil
	}
	r, ok, err := s.opts.Ranges.Match(ctx, ip)
	if err != nil || !ok {
		return false, err
	}
	if !strings.HasPrefix(r.Name, autoBanPrefix) {
		return false, nil
	}
	for _, protocol := range []string{store.ProtocolSMTP, store.ProtocolPOP3, store.ProtocolIMAP} {
		if policy.Allows(r, protocol) {
			return false, nil
		}
	}
	return true, nil
}

// loginFailed logs a failed login and counts it toward auto-ban.
func (s *authService) loginFailed(ctx context.Context, username string, ip netip.Addr) {
	s.opts.Log.Warn("admin: login failed: invalid user name or password", "username", username, "ip", ip)
	if s.opts.AutoBan == nil {
		return
	}
	if _, err := s.opts.AutoBan.Failed(ctx, ip, username); err != nil {
		s.opts.Log.Error("admin: auto-ban failed", "ip", ip, "error", err)
	}
}

// Logout ends the caller's session.
func (s *authService) Logout(ctx context.Context, req *connect.Request[adminv1.LogoutRequest]) (*connect.Response[adminv1.LogoutResponse], error) {
	s.sessions.remove(bearerToken(req.Header()))
	p, _ := PrincipalFrom(ctx)
	s.opts.Log.Info("admin: logout", "username", p.Username, "ip", peerIP(req.Peer()))
	return connect.NewResponse(&adminv1.LogoutResponse{}), nil
}

// WhoAmI tells the caller who the server takes it for.
func (s *authService) WhoAmI(ctx context.Context, _ *connect.Request[adminv1.WhoAmIRequest]) (*connect.Response[adminv1.WhoAmIResponse], error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return nil, errNotLoggedIn
	}
	return connect.NewResponse(&adminv1.WhoAmIResponse{
		Username:  p.Username,
		Level:     adminv1.AdminLevel(p.Level),
		AccountId: p.AccountID,
		DomainId:  p.DomainID,
	}), nil
}

// levelName names an admin level for the log.
func levelName(l store.AdminLevel) string {
	switch l {
	case store.AdminUser:
		return "user"
	case store.AdminDomain:
		return "domain"
	case store.AdminServer:
		return "server"
	}
	return "unknown"
}
