package store

import (
	"context"
	"database/sql"
	"errors"
)

// ServerMessage is a text the server sends in its own messages (manual:
// Server messages), such as the bounce subject.
type ServerMessage struct {
	ID   int64
	Name string
	Text string
}

// defaultServerMessages are created at first start. %MACRO% names are
// replaced by the feature that sends the text.
var defaultServerMessages = []ServerMessage{
	{Name: "VIRUS_FOUND", Text: "Virus found"},
	{Name: "VIRUS_ATTACHMENT_REMOVED", Text: "Virus found:\r\nThe attachments of this message were removed because a virus was found in at least one of them.\r\n\r\n"},
	{Name: "VIRUS_NOTIFICATION", Text: "The message below contained a virus and did not\r\nreach some or all of the intended recipients.\r\n\r\n   From: %MACRO_FROM%\r\n   To: %MACRO_TO%\r\n   Sent: %MACRO_SENT%\r\n   Subject: %MACRO_SUBJECT%\r\n\r\nMailwright\r\n"},
	{Name: "SEND_FAILED_NOTIFICATION", Text: "Your message did not reach some or all of the intended recipients.\r\n\r\n   Sent: %MACRO_SENT%\r\n   Subject: %MACRO_SUBJECT%\r\n\r\nThe following recipient(s) could not be reached:\r\n\r\n%MACRO_RECIPIENTS%\r\n\r\nMailwright\r\n"},
	{Name: "MESSAGE_UNDELIVERABLE", Text: "Message undeliverable"},
	{Name: "MESSAGE_FILE_MISSING", Text: "The mail server could not deliver the message to you because the file %MACRO_FILE% does not exist on the server.\r\n\r\nAnti-virus software on the server may have deleted it.\r\n\r\nMailwright\r\n"},
	{Name: "ATTACHMENT_REMOVED", Text: "The attachment %MACRO_FILE% was blocked by the mail server. Ask your system administrator if you have questions about this.\r\n\r\nMailwright\r\n"},
}

// ServerMessages lists the server messages by name.
func (s *Store) ServerMessages(ctx context.Context) ([]ServerMessage, error) {
	rows, err := s.query(ctx, s.db, "SELECT id, name, body FROM server_messages ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ServerMessage
	for rows.Next() {
		var m ServerMessage
		if err := rows.Scan(&m.ID, &m.Name, &m.Text); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ServerMessageText returns one server message's text.
func (s *Store) ServerMessageText(ctx context.Context, name string) (string, error) {
	var text string
	err := s.queryRow(ctx, s.db, "SELECT body FROM server_messages WHERE name = ?", name).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return text, err
}

// SetServerMessage changes a server message's text. Only the known
// messages exist; their names cannot change.
func (s *Store) SetServerMessage(ctx context.Context, name, text string) error {
	res, err := s.exec(ctx, s.db, "UPDATE server_messages SET body = ? WHERE name = ?", text, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	if _, err := s.ServerMessageText(ctx, name); err != nil {
		return invalid("name", "there is no server message called %q", name)
	}
	return nil
}
