package queue

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// testPeer is another mail server for the queue to deliver to: an SMTP
// server on 127.0.0.1 that takes every message, unless the test's script
// says otherwise, and remembers what it got. It offers PIPELINING, SIZE,
// 8BITMIME and ENHANCEDSTATUSCODES, and AUTH PLAIN when it has accounts.
type testPeer struct {
	t    *testing.T
	l    net.Listener
	port uint16

	// Set before the queue runs; read-only after.
	accounts  map[string]string                  // AUTH PLAIN user → password; nil: no AUTH offered
	greeting  func(session int) string           // a reply in place of the 220 greeting, or ""
	rcptReply func(address string, n int) string // the reply to the n-th RCPT for address (from 1), or "" for 250
	dataDelay time.Duration                      // a pause before the reply to the end of data

	mu       sync.Mutex
	sessions int
	rcpts    map[string]int // RCPT commands by address
	messages []peerMessage  // those it answered 250 at the end of data
}

// peerMessage is one message a testPeer accepted.
type peerMessage struct {
	Helo     string
	AuthUser string
	From     string
	To       []string
	Data     string // as it would be stored: dot-stuffing undone, CRLF line endings
}

// startPeer starts a peer on 127.0.0.1 and a free port.
func startPeer(t *testing.T) *testPeer {
	t.Helper()
	p := startPeerOn(t, "127.0.0.1", 0)
	if p == nil {
		t.Fatal("cannot listen on 127.0.0.1")
	}
	return p
}

// startPeerOn starts a peer on ip and port (0: a free one), or returns
// nil if it cannot listen there.
func startPeerOn(t *testing.T, ip string, port uint16) *testPeer {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(port)))
	if err != nil {
		t.Logf("listening on %s port %d: %v", ip, port, err)
		return nil
	}
	p := &testPeer{t: t, l: l, port: uint16(l.Addr().(*net.TCPAddr).Port), rcpts: map[string]int{}}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { p.serve(conn) })
		}
	})
	return p
}

// Messages returns what the peer has accepted so far.
func (p *testPeer) Messages() []peerMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]peerMessage(nil), p.messages...)
}

// Sessions counts the connections the peer has had.
func (p *testPeer) Sessions() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sessions
}

// RcptCount counts the RCPT commands the peer got for address.
func (p *testPeer) RcptCount(address string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rcpts[strings.ToLower(address)]
}

func (p *testPeer) serve(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	reply := func(lines ...string) {
		for _, line := range lines {
			fmt.Fprintf(conn, "%s\r\n", line)
		}
	}
	p.mu.Lock()
	p.sessions++
	session := p.sessions
	p.mu.Unlock()
	if p.greeting != nil {
		if g := p.greeting(session); g != "" {
			reply(g)
			return
		}
	}
	reply("220 peer.test ESMTP test peer")
	var msg peerMessage
	var helo, authUser string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			helo = arg
			lines := []string{"250-peer.test", "250-PIPELINING", "250-SIZE 10000000", "250-8BITMIME"}
			if p.accounts != nil {
				lines = append(lines, "250-AUTH PLAIN")
			}
			reply(append(lines, "250 ENHANCEDSTATUSCODES")...)
		case "HELO":
			helo = arg
			reply("250 peer.test")
		case "AUTH":
			mechanism, response, _ := strings.Cut(arg, " ")
			decoded, err := base64.StdEncoding.DecodeString(response)
			parts := strings.Split(string(decoded), "\x00")
			if !strings.EqualFold(mechanism, "PLAIN") || err != nil || len(parts) != 3 || p.accounts[parts[1]] == "" || p.accounts[parts[1]] != parts[2] {
				reply("535 5.7.8 Authentication credentials invalid")
				continue
			}
			authUser = parts[1]
			reply("235 2.7.0 Authentication successful")
		case "MAIL":
			msg = peerMessage{Helo: helo, AuthUser: authUser, From: between(arg, "<", ">")}
			reply("250 2.1.0 Ok")
		case "RCPT":
			address := between(arg, "<", ">")
			p.mu.Lock()
			p.rcpts[strings.ToLower(address)]++
			n := p.rcpts[strings.ToLower(address)]
			p.mu.Unlock()
			answer := ""
			if p.rcptReply != nil {
				answer = p.rcptReply(address, n)
			}
			if answer == "" {
				answer = "250 2.1.5 Ok"
				msg.To = append(msg.To, address)
			}
			reply(answer)
		case "DATA":
			if len(msg.To) == 0 {
				reply("554 5.5.1 No valid recipients")
				continue
			}
			reply("354 End data with <CR><LF>.<CR><LF>")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			time.Sleep(p.dataDelay)
			msg.Data = data.String()
			p.mu.Lock()
			p.messages = append(p.messages, msg)
			p.mu.Unlock()
			reply("250 2.0.0 Ok: queued")
		case "RSET":
			msg = peerMessage{}
			reply("250 2.0.0 Ok")
		case "NOOP":
			reply("250 2.0.0 Ok")
		case "QUIT":
			reply("221 2.0.0 Bye")
			return
		default:
			reply("502 5.5.2 Command not recognized")
		}
	}
}

// between returns the part of s between the first open and the next close.
func between(s, open, close string) string {
	_, rest, _ := strings.Cut(s, open)
	inner, _, _ := strings.Cut(rest, close)
	return inner
}
