package store

import (
	"context"
	"database/sql"
	"errors"
	"net/netip"
	"strings"
)

// Certificate is an SSL certificate: a PEM certificate file and its key
// file (manual: SSL certificates).
type Certificate struct {
	ID              int64
	Name            string
	CertificateFile string
	PrivateKeyFile  string
}

// CreateCertificate adds a certificate.
func (s *Store) CreateCertificate(ctx context.Context, c Certificate) (Certificate, error) {
	c.Name = strings.TrimSpace(c.Name)
	switch {
	case c.Name == "":
		return Certificate{}, invalid("name", "a certificate needs a name")
	case c.CertificateFile == "":
		return Certificate{}, invalid("certificate_file", "the certificate file is required")
	case c.PrivateKeyFile == "":
		return Certificate{}, invalid("private_key_file", "the private key file is required")
	}
	id, err := s.dialect.insert(ctx, s.db, "ssl_certificates", []string{"name", "name_lower", "certificate_file", "private_key_file"},
		c.Name, Lower(c.Name), c.CertificateFile, c.PrivateKeyFile)
	if err != nil {
		return Certificate{}, s.duplicate(err, "name", "a certificate named %q already exists", c.Name)
	}
	c.ID = id
	return c, nil
}

// Certificates lists the certificates by name.
func (s *Store) Certificates(ctx context.Context) ([]Certificate, error) {
	rows, err := s.query(ctx, s.db, "SELECT id, name, certificate_file, private_key_file FROM ssl_certificates ORDER BY name_lower")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Certificate
	for rows.Next() {
		var c Certificate
		if err := rows.Scan(&c.ID, &c.Name, &c.CertificateFile, &c.PrivateKeyFile); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// DeleteCertificate deletes a certificate no port uses.
func (s *Store) DeleteCertificate(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		n, err := s.count(ctx, tx, "SELECT COUNT(*) FROM tcpip_ports WHERE ssl_certificate_id = ?", id)
		if err != nil {
			return err
		}
		if n > 0 {
			return invalid("id", "the certificate is used by %d TCP/IP port(s); change them first", n)
		}
		res, err := s.exec(ctx, tx, "DELETE FROM ssl_certificates WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// Protocols a TCP/IP port can serve.
const (
	ProtocolSMTP = "smtp"
	ProtocolPOP3 = "pop3"
	ProtocolIMAP = "imap"
)

// Port is a listener (manual: TCP/IP ports).
type Port struct {
	ID            int64
	Protocol      string
	Address       netip.Addr // 0.0.0.0 or :: for all addresses
	Port          int
	Security      ConnectionSecurity
	CertificateID int64 // 0: none
}

func (p *Port) validate() error {
	p.Protocol = strings.ToLower(p.Protocol)
	switch p.Protocol {
	case ProtocolSMTP, ProtocolPOP3, ProtocolIMAP:
	default:
		return invalid("protocol", "must be smtp, pop3 or imap, not %q", p.Protocol)
	}
	if !p.Address.IsValid() {
		return invalid("address", "an IP address to listen on is required (0.0.0.0 for all)")
	}
	if p.Port < 1 || p.Port > 65535 {
		return invalid("port", "must be between 1 and 65535, not %d", p.Port)
	}
	return validSecurity("security", p.Security)
}

// CreatePort adds a TCP/IP port. A port using TLS may be saved without a
// certificate; the server's self-test warns about it.
func (s *Store) CreatePort(ctx context.Context, p Port) (Port, error) {
	defer s.invalidatePorts()
	return p, s.createPort(ctx, s.db, &p)
}

func (s *Store) createPort(ctx context.Context, q queryer, p *Port) error {
	if err := p.validate(); err != nil {
		return err
	}
	if p.CertificateID != 0 {
		n, err := s.count(ctx, q, "SELECT COUNT(*) FROM ssl_certificates WHERE id = ?", p.CertificateID)
		if err != nil {
			return err
		}
		if n == 0 {
			return invalid("certificate_id", "no certificate has id %d", p.CertificateID)
		}
	}
	id, err := s.dialect.insert(ctx, q, "tcpip_ports", []string{"protocol", "address", "port", "connection_security", "ssl_certificate_id"},
		p.Protocol, p.Address.String(), p.Port, int(p.Security), p.CertificateID)
	if err != nil {
		return s.duplicate(err, "port", "%s port %d is already configured", p.Address, p.Port)
	}
	p.ID = id
	return nil
}

// Ports lists the TCP/IP ports.
func (s *Store) Ports(ctx context.Context) ([]Port, error) {
	rows, err := s.query(ctx, s.db, "SELECT id, protocol, address, port, connection_security, ssl_certificate_id FROM tcpip_ports ORDER BY port, address")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Port
	for rows.Next() {
		var p Port
		var addr string
		if err := rows.Scan(&p.ID, &p.Protocol, &addr, &p.Port, &p.Security, &p.CertificateID); err != nil {
			return nil, err
		}
		if p.Address, err = netip.ParseAddr(addr); err != nil {
			return nil, errors.Join(errors.New("store: a TCP/IP port has a bad address"), err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeletePort deletes a TCP/IP port.
func (s *Store) DeletePort(ctx context.Context, id int64) error {
	defer s.invalidatePorts()
	return s.deleteOne(ctx, "DELETE FROM tcpip_ports WHERE id = ?", id)
}
