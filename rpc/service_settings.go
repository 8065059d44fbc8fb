package rpc

import (
	"context"
	"slices"
	"strings"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/store"
)

// Server settings (SMTP, POP3, IMAP, auto-ban, mirror, ...) and server
// messages: server administrators only.

// ListSettings returns the known settings whose names start with the
// request's prefix (any case), by name.
func (s *settingsService) ListSettings(ctx context.Context, req *connect.Request[adminv1.ListSettingsRequest]) (*connect.Response[adminv1.ListSettingsResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	if err := checkFieldSizes(nameField("prefix", req.Msg.GetPrefix())); err != nil {
		return nil, err
	}
	prefix := strings.ToLower(req.Msg.GetPrefix())
	return s.settings(ctx, func(name string) bool { return strings.HasPrefix(strings.ToLower(name), prefix) })
}

// SetSettings checks every value with the store's rules and then writes
// them all in one transaction: one bad value changes nothing, and its
// setting's name is the error's field. It returns the settings it set.
func (s *settingsService) SetSettings(ctx context.Context, req *connect.Request[adminv1.SetSettingsRequest]) (*connect.Response[adminv1.ListSettingsResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	values := req.Msg.GetValues()
	names := make([]string, 0, len(values))
	for name, value := range values {
		if err := checkFieldSizes(nameField("values", name), textField(name, value)); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	slices.Sort(names)
	if err := s.opts.Store.SetSettings(ctx, values); err != nil {
		return nil, toConnect(err)
	}
	for _, name := range names {
		s.audit(ctx, "setting changed", "name", name, "value", auditSettingValue(name, values[name]))
	}
	return s.settings(ctx, func(name string) bool { _, ok := values[name]; return ok })
}

// settings lists the known settings that keep accepts, with their values.
func (s *settingsService) settings(ctx context.Context, keep func(name string) bool) (*connect.Response[adminv1.ListSettingsResponse], error) {
	current, err := s.opts.Store.AllSettings(ctx)
	if err != nil {
		return nil, toConnect(err)
	}
	out := &adminv1.ListSettingsResponse{}
	for _, info := range store.KnownSettings() {
		if keep(info.Name) {
			out.Settings = append(out.Settings, settingToProto(info, current[info.Name]))
		}
	}
	return connect.NewResponse(out), nil
}

// auditSettingValue keeps passwords out of the log.
func auditSettingValue(name, value string) string {
	if strings.Contains(strings.ToLower(name), "password") && value != "" {
		return "(hidden)"
	}
	return value
}

func (s *settingsService) ListServerMessages(ctx context.Context, _ *connect.Request[adminv1.ListServerMessagesRequest]) (*connect.Response[adminv1.ListServerMessagesResponse], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	msgs, err := s.opts.Store.ServerMessages(ctx)
	if err != nil {
		return nil, toConnect(err)
	}
	out := &adminv1.ListServerMessagesResponse{}
	for _, m := range msgs {
		out.Messages = append(out.Messages, serverMessageToProto(m))
	}
	return connect.NewResponse(out), nil
}

// SetServerMessage changes a server message's text. The message is named
// by name, or by id when the name is empty; names never change.
func (s *settingsService) SetServerMessage(ctx context.Context, req *connect.Request[adminv1.ServerMessage]) (*connect.Response[adminv1.ServerMessage], error) {
	if _, err := requireServer(ctx); err != nil {
		return nil, err
	}
	if err := checkFieldSizes(nameField("name", req.Msg.GetName()), textField("text", req.Msg.GetText())); err != nil {
		return nil, err
	}
	msgs, err := s.opts.Store.ServerMessages(ctx)
	if err != nil {
		return nil, toConnect(err)
	}
	i := slices.IndexFunc(msgs, func(m store.ServerMessage) bool {
		if req.Msg.GetName() != "" {
			return m.Name == req.Msg.GetName()
		}
		return m.ID == req.Msg.GetId()
	})
	if i < 0 {
		if req.Msg.GetName() != "" {
			return nil, badField("name", "there is no server message called %q", req.Msg.GetName())
		}
		return nil, toConnect(store.ErrNotFound)
	}
	m := msgs[i]
	m.Text = req.Msg.GetText()
	if err := s.opts.Store.SetServerMessage(ctx, m.Name, m.Text); err != nil {
		return nil, toConnect(err)
	}
	s.audit(ctx, "server message changed", "name", m.Name)
	return connect.NewResponse(serverMessageToProto(m)), nil
}
