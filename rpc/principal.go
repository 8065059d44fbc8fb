package rpc

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

// Principal is who makes a call: the main administrator (Level server,
// AccountID 0) or an account with its admin level.
type Principal struct {
	Username  string
	Level     store.AdminLevel
	AccountID int64
	DomainID  int64
}

type principalKey struct{}

// withPrincipal attaches the caller to a request's context (the
// authentication interceptor does it).
func withPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the authenticated caller.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// errDenied is the one answer to a call above the caller's level, so it
// tells nothing about what exists.
var errDenied = connect.NewError(connect.CodePermissionDenied, errors.New("your administration level does not allow this"))

// requireServer allows server administrators only.
func requireServer(ctx context.Context) (Principal, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return p, connect.NewError(connect.CodeUnauthenticated, errors.New("log in first"))
	}
	if p.Level != store.AdminServer {
		return p, errDenied
	}
	return p, nil
}

// requireDomain allows server administrators, and domain administrators of
// domainID.
func requireDomain(ctx context.Context, domainID int64) (Principal, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return p, connect.NewError(connect.CodeUnauthenticated, errors.New("log in first"))
	}
	switch {
	case p.Level == store.AdminServer:
		return p, nil
	case p.Level == store.AdminDomain && p.DomainID == domainID && domainID != 0:
		return p, nil
	}
	return p, errDenied
}

// requireAccount allows server administrators, domain administrators of
// the account's domain, and the account itself.
func requireAccount(ctx context.Context, accountID, domainID int64) (Principal, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return p, connect.NewError(connect.CodeUnauthenticated, errors.New("log in first"))
	}
	if p.Level == store.AdminUser && p.AccountID == accountID && accountID != 0 {
		return p, nil
	}
	return requireDomain(ctx, domainID)
}

// toConnect turns a store error into a Connect error: a ValidationError
// becomes INVALID_ARGUMENT with a FieldError detail naming the field,
// ErrNotFound becomes NOT_FOUND; anything else is INTERNAL with a generic
// message (the detail goes to the log, not to the client).
func toConnect(err error) error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce
	}
	if v, ok := store.AsValidation(err); ok {
		e := connect.NewError(connect.CodeInvalidArgument, v)
		if detail, derr := connect.NewErrorDetail(&adminv1.FieldError{Field: v.Field, Message: v.Message}); derr == nil {
			e.AddDetail(detail)
		}
		return e
	}
	if errors.Is(err, store.ErrNotFound) {
		return connect.NewError(connect.CodeNotFound, errors.New("no such object"))
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return connect.NewError(connect.CodeCanceled, err)
	}
	return &internalError{cause: err}
}

// internalError hides a failure's detail from the client; the
// authentication interceptor logs the cause and answers with this text.
type internalError struct{ cause error }

func (e *internalError) Error() string { return "internal error: " + e.cause.Error() }
func (e *internalError) Unwrap() error { return e.cause }

// sanitize turns an internal error into a Connect error without its
// detail, logging the detail.
func (s *Server) sanitize(procedure string, err error) error {
	var ie *internalError
	if !errors.As(err, &ie) {
		return err
	}
	s.opts.Log.Error("administration call failed", "procedure", procedure, "error", ie.cause)
	return connect.NewError(connect.CodeInternal, errors.New("internal error; the server log has the details"))
}

// FieldErrorOf returns the field a Connect error names, for clients.
func FieldErrorOf(err error) (*adminv1.FieldError, bool) {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return nil, false
	}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if derr != nil {
			continue
		}
		if fe, ok := v.(*adminv1.FieldError); ok {
			return fe, true
		}
	}
	return nil, false
}
