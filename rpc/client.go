package rpc

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"

	adminv1 "github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1"
	"github.com/mailwright/mailwright/rpc/gen/mailwright/admin/v1/adminv1connect"
)

// DefaultPort is the administration endpoint's port when an address gives
// none (the AdminAddress setting's default is 127.0.0.1:8425).
const DefaultPort = "8425"

var (
	// ErrServerDown is returned by Dial when nothing answers at the
	// address, or the answer is not a TLS server.
	ErrServerDown = errors.New("no administration server answers")
	// ErrCertificateChanged is returned by Dial when the server shows a
	// certificate other than the one recorded on first connect. The error
	// is a *CertificateChangedError naming both fingerprints.
	ErrCertificateChanged = errors.New("the server's certificate has changed")
	// ErrUnknownServer is returned by Dial for a server met for the first
	// time when neither AcceptNew nor TrustOnFirstUse accepts it.
	ErrUnknownServer = errors.New("the server's certificate is not known")
)

// CertificateChangedError is the error of a server whose certificate
// differs from the recorded one. It matches ErrCertificateChanged with
// errors.Is.
type CertificateChangedError struct {
	Addr      string
	Known     string // fingerprint recorded for Addr
	Presented string // fingerprint the server showed now
	File      string // the known-servers file holding Known
}

func (e *CertificateChangedError) Error() string {
	return fmt.Sprintf("%v: %s presented %s but %s records %s; if the server's certificate was replaced on purpose, "+
		"accept the new one (ctl: --accept-changed-certificate)", ErrCertificateChanged, e.Addr, e.Presented, e.File, e.Known)
}

func (e *CertificateChangedError) Is(target error) bool { return target == ErrCertificateChanged }

// DialOptions say how to trust the server's self-signed certificate: its
// fingerprint is pinned per address in a known-servers file, as ssh does.
type DialOptions struct {
	// KnownServersFile records the accepted fingerprints, a line
	// "<address> <fingerprint>" each. Default:
	// os.UserConfigDir()/mailwright/known_servers.
	KnownServersFile string
	// AcceptNew is asked about a server met for the first time (show the
	// fingerprint to the user); true records it. With a nil AcceptNew an
	// unknown server is refused unless TrustOnFirstUse is set.
	AcceptNew func(fingerprint string) bool
	// TrustOnFirstUse records an unknown server without asking.
	TrustOnFirstUse bool
	// AcceptChanged replaces a recorded fingerprint with the one the
	// server shows now instead of refusing the server.
	AcceptChanged bool
	// HTTP1 restricts the client to HTTP/1.1; by default HTTP/2 is used
	// when the server offers it.
	HTTP1 bool
	// Dialer makes the TCP connections (default: a 10-second timeout).
	Dialer *net.Dialer
}

// Client is the Go client of the administration API, used by the
// Administrator and by ctl. After Login every call carries the session
// token.
type Client struct {
	Auth          adminv1connect.AuthServiceClient
	Domains       adminv1connect.DomainServiceClient
	Accounts      adminv1connect.AccountServiceClient
	Aliases       adminv1connect.AliasServiceClient
	Lists         adminv1connect.DistributionListServiceClient
	Groups        adminv1connect.GroupServiceClient
	PublicFolders adminv1connect.PublicFolderServiceClient
	IPRanges      adminv1connect.IPRangeServiceClient
	Ports         adminv1connect.PortServiceClient
	Settings      adminv1connect.SettingsServiceClient
	Routes        adminv1connect.RouteServiceClient
	Queue         adminv1connect.QueueServiceClient
	Status        adminv1connect.StatusServiceClient

	// Addr is the server's host:port and Fingerprint its pinned
	// certificate's fingerprint.
	Addr        string
	Fingerprint string
	// NewlyTrusted is set when this Dial recorded the server's certificate
	// (first use, or an accepted change).
	NewlyTrusted bool

	httpClient *http.Client
	mu         sync.Mutex
	token      string
}

// Dial connects to the administration endpoint at addr ("host:port", or
// "host" for port 8425; an "https://" prefix is allowed), checks its
// certificate against the known-servers file and returns a client that is
// not yet logged in. A server that does not answer gives ErrServerDown, a
// changed certificate ErrCertificateChanged, an unknown one that is not
// accepted ErrUnknownServer.
func Dial(ctx context.Context, addr string, opts DialOptions) (*Client, error) {
	addr = normalizeAddr(addr)
	dialer := opts.Dialer
	if dialer == nil {
		dialer = &net.Dialer{Timeout: 10 * time.Second}
	}
	known := opts.KnownServersFile
	if known == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return nil, fmt.Errorf("rpc: no place for the known-servers file: %w", err)
		}
		known = filepath.Join(dir, "mailwright", "known_servers")
	}

	presented, err := presentedFingerprint(ctx, dialer, addr)
	if err != nil {
		return nil, err
	}
	pinned, err := trustServer(known, addr, presented, opts)
	if err != nil {
		return nil, err
	}

	c := &Client{Addr: addr, Fingerprint: presented, NewlyTrusted: pinned}
	c.httpClient = &http.Client{Transport: pinnedTransport(dialer, presented, opts.HTTP1)}
	c.mount("https://" + addr)
	return c, nil
}

// normalizeAddr turns what a user typed into host:port.
func normalizeAddr(addr string) string {
	addr = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(addr), "https://"), "/")
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), DefaultPort)
	}
	return addr
}

// presentedFingerprint makes a TLS handshake with the server and returns
// its certificate's fingerprint.
func presentedFingerprint(ctx context.Context, dialer *net.Dialer, addr string) (string, error) {
	var presented string
	tlsDialer := &tls.Dialer{NetDialer: dialer, Config: &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The certificate is self-signed: it is checked by its pinned
		// fingerprint, not a chain.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			presented = Fingerprint(cs.PeerCertificates[0])
			return nil
		},
	}}
	conn, err := tlsDialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("%w at %s: %w", ErrServerDown, addr, err)
	}
	conn.Close()
	return presented, nil
}

// trustServer compares the presented fingerprint with the recorded one and
// records it when opts accept it; recorded reports whether it did.
func trustServer(file, addr, presented string, opts DialOptions) (recorded bool, err error) {
	servers, err := readKnownServers(file)
	if err != nil {
		return false, err
	}
	known, ok := servers[addr]
	switch {
	case ok && known == presented:
		return false, nil
	case ok && !opts.AcceptChanged:
		return false, &CertificateChangedError{Addr: addr, Known: known, Presented: presented, File: file}
	case !ok && !opts.TrustOnFirstUse && (opts.AcceptNew == nil || !opts.AcceptNew(presented)):
		return false, fmt.Errorf("%w: %s presents %s; accept it to connect", ErrUnknownServer, addr, presented)
	}
	if err := recordKnownServer(file, addr, presented); err != nil {
		return false, err
	}
	return true, nil
}

// readKnownServers reads the known-servers file; a missing file is empty.
func readKnownServers(file string) (map[string]string, error) {
	servers := map[string]string{}
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		return servers, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rpc: reading the known servers: %w", err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) == 2 && !strings.HasPrefix(fields[0], "#") {
			servers[fields[0]] = fields[1]
		}
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("rpc: reading %s: %w", file, err)
	}
	return servers, nil
}

// recordKnownServer sets addr's fingerprint in the file, keeping the other
// lines as they are.
func recordKnownServer(file, addr, fingerprint string) error {
	data, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("rpc: reading the known servers: %w", err)
	}
	var lines []string
	for line := range strings.Lines(string(data)) {
		line = strings.TrimRight(line, "\r\n")
		if fields := strings.Fields(line); len(fields) == 2 && fields[0] == addr {
			continue
		}
		lines = append(lines, line)
	}
	lines = append(lines, addr+" "+fingerprint)
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("rpc: %w", err)
	}
	return writeNewFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}

// pinnedTransport is an HTTP transport that accepts only the server
// certificate with the given fingerprint.
func pinnedTransport(dialer *net.Dialer, fingerprint string, http1Only bool) *http.Transport {
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(!http1Only)
	return &http.Transport{
		DialContext: dialer.DialContext,
		TLSClientConfig: &tls.Config{
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: true, // checked by VerifyConnection
			VerifyConnection: func(cs tls.ConnectionState) error {
				if len(cs.PeerCertificates) == 0 {
					return errors.New("the server sent no certificate")
				}
				if got := Fingerprint(cs.PeerCertificates[0]); got != fingerprint {
					return fmt.Errorf("%w: expected %s, the server presented %s", ErrCertificateChanged, fingerprint, got)
				}
				return nil
			},
		},
		Protocols:           &protocols,
		TLSHandshakeTimeout: 10 * time.Second,
		IdleConnTimeout:     90 * time.Second,
	}
}

// mount makes the service clients over baseURL.
func (c *Client) mount(baseURL string) {
	opts := []connect.ClientOption{connect.WithInterceptors(&tokenInterceptor{client: c})}
	h := c.httpClient
	c.Auth = adminv1connect.NewAuthServiceClient(h, baseURL, opts...)
	c.Domains = adminv1connect.NewDomainServiceClient(h, baseURL, opts...)
	c.Accounts = adminv1connect.NewAccountServiceClient(h, baseURL, opts...)
	c.Aliases = adminv1connect.NewAliasServiceClient(h, baseURL, opts...)
	c.Lists = adminv1connect.NewDistributionListServiceClient(h, baseURL, opts...)
	c.Groups = adminv1connect.NewGroupServiceClient(h, baseURL, opts...)
	c.PublicFolders = adminv1connect.NewPublicFolderServiceClient(h, baseURL, opts...)
	c.IPRanges = adminv1connect.NewIPRangeServiceClient(h, baseURL, opts...)
	c.Ports = adminv1connect.NewPortServiceClient(h, baseURL, opts...)
	c.Settings = adminv1connect.NewSettingsServiceClient(h, baseURL, opts...)
	c.Routes = adminv1connect.NewRouteServiceClient(h, baseURL, opts...)
	c.Queue = adminv1connect.NewQueueServiceClient(h, baseURL, opts...)
	c.Status = adminv1connect.NewStatusServiceClient(h, baseURL, opts...)
}

// Login logs in with the main administrator password (user "" or
// "Administrator") or an account's address and password, and keeps the
// session token for the following calls.
func (c *Client) Login(ctx context.Context, user, password string) error {
	resp, err := c.Auth.Login(ctx, connect.NewRequest(&adminv1.LoginRequest{Username: user, Password: password}))
	if err != nil {
		return err
	}
	c.SetToken(resp.Msg.GetToken())
	return nil
}

// Logout ends the session on the server and forgets the token.
func (c *Client) Logout(ctx context.Context) error {
	_, err := c.Auth.Logout(ctx, connect.NewRequest(&adminv1.LogoutRequest{}))
	c.SetToken("")
	return err
}

// Token returns the session token ("" before Login).
func (c *Client) Token() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// SetToken makes the following calls use a session token obtained
// elsewhere (for instance by an earlier Login of the same program).
func (c *Client) SetToken(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token = token
}

// Close closes the client's idle connections.
func (c *Client) Close() {
	c.httpClient.CloseIdleConnections()
}

// tokenInterceptor adds "Authorization: Bearer <token>" to every call
// once the client has a token.
type tokenInterceptor struct {
	client *Client
}

func (t *tokenInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if token := t.client.Token(); token != "" && req.Spec().IsClient {
			req.Header().Set("Authorization", "Bearer "+token)
		}
		return next(ctx, req)
	}
}

func (t *tokenInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		if token := t.client.Token(); token != "" {
			conn.RequestHeader().Set("Authorization", "Bearer "+token)
		}
		return conn
	}
}

func (t *tokenInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}
