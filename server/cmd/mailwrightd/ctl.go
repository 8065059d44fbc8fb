package main

// mailwrightd ctl: every call of the administration RPC from a shell, for
// scripts — the job hMailServer's COM API did. The commands are a table
// (ctl_objects.go, ctl_server.go) of "noun verb" paths with their
// arguments, options and handlers; the help is printed from the same
// table, and the flags that set an object's fields are made from its
// protobuf message (ctl_fields.go), so the help and the code cannot say
// different things.

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/mailwright/mailwright/rpc"
)

// The environment variables ctl reads when the flag is not given.
const (
	envServer       = "MAILWRIGHT_SERVER"
	envUser         = "MAILWRIGHT_USER"
	envPassword     = "MAILWRIGHT_PASSWORD"
	envKnownServers = "MAILWRIGHT_KNOWN_SERVERS"
)

// ctlCommand is one "noun verb" of ctl.
type ctlCommand struct {
	path    string   // "account add"
	args    []string // positional arguments: "ADDRESS", "[PREFIX]" optional, "NAME=VALUE..." one or more
	summary string
	// notes are further lines of the command's help.
	notes []string
	// options are the command's own flags besides the field flags.
	options []ctlOption
	// fields is the message whose fields the command sets with flags
	// (--max-accounts=10); fixed names the fields it does not offer as
	// flags because an argument or the server sets them.
	fields proto.Message
	fixed  []string
	// offline commands need no connection.
	offline bool
	run     func(c *ctlCall) error
}

// ctlOption is a flag of a command; value names its argument, "" for a
// switch.
type ctlOption struct {
	name  string
	value string
	help  string
}

// ctlGlobalOptions are the flags every command takes.
var ctlGlobalOptions = []ctlOption{
	{"server", "HOST:PORT", "the administration endpoint (env " + envServer + ", default 127.0.0.1:" + rpc.DefaultPort + ")"},
	{"user", "NAME", "Administrator, or an account's address (env " + envUser + ", default Administrator)"},
	{"password-stdin", "", "read the login password from the first line of stdin (otherwise env " + envPassword + ")"},
	{"known-servers", "FILE", "the pinned certificate fingerprints (env " + envKnownServers + ", default in the user's config directory)"},
	{"accept-changed-certificate", "", "accept and record a server certificate that differs from the pinned one"},
	{"json", "", "print the server's response as JSON (protojson); log follow prints one object per line"},
	{"timeout", "DURATION", "give up on a call after this long (default 60s; log follow runs until interrupted)"},
}

// ctlSettings are the global flags after parsing, with the environment's
// defaults applied.
type ctlSettings struct {
	server, user, knownServers   string
	passwordStdin, acceptChanged bool
	json                         bool
	timeout                      time.Duration
}

// ctlCall is one run of a command: its arguments, flags and connection.
type ctlCall struct {
	ctx      context.Context
	cmd      *ctlCommand
	path     string // the command words read so far, for the help
	args     []string
	options  map[string]string // the command's own flags; a switch is "true"
	fields   []fieldAssignment // the field flags, in command-line order
	settings ctlSettings
	stdin    *bufio.Reader
	stdout   io.Writer
	stderr   io.Writer
	client   *rpc.Client
}

// ctlCommands is the table of every command, filled by ctl_objects.go and
// ctl_server.go.
var ctlCommands []*ctlCommand

func init() {
	ctlCommands = append(ctlCommands, &ctlCommand{
		path: "help", args: []string{"[COMMAND...]"}, offline: true,
		summary: "show the commands, or one command's arguments and flags",
		run: func(c *ctlCall) error {
			return ctlHelp(c.stdout, strings.Join(c.args, " "))
		},
	})
	ctlCommands = append(ctlCommands, ctlObjectCommands()...)
	ctlCommands = append(ctlCommands, ctlServerCommands()...)
}

// ctl runs "mailwrightd ctl ARGS".
func ctl(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c, err := parseCtlArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		return ctlHelp(stdout, commandPathOf(c))
	}
	if err != nil {
		return fmt.Errorf("ctl: %w (see \"mailwrightd ctl help\")", err)
	}
	c.stdin, c.stdout, c.stderr = bufio.NewReader(stdin), stdout, stderr

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c.ctx = ctx
	if !c.cmd.offline {
		if err := c.connect(); err != nil {
			return fmt.Errorf("ctl: %s", describeCtlError(err))
		}
		defer c.disconnect()
	}
	if err := c.cmd.run(c); err != nil {
		return fmt.Errorf("ctl %s: %s", c.cmd.path, describeCtlError(err))
	}
	return nil
}

func commandPathOf(c *ctlCall) string {
	if c == nil {
		return ""
	}
	return c.path
}

// parseCtlArgs finds the command (its words come first; global flags may
// stand before, between and after them) and then reads its arguments and
// flags in any order. "--" ends the flags. -h or --help anywhere asks for
// the help, returned as flag.ErrHelp with the command found so far.
func parseCtlArgs(args []string) (*ctlCall, error) {
	c := &ctlCall{options: map[string]string{}}
	globals := map[string]string{}
	var words []string
	i := 0
	for i < len(args) {
		a := args[i]
		if isFlag(a) {
			name, _, _ := splitFlag(a)
			if name == "h" || name == "help" {
				c.path = strings.Join(words, " ")
				return c, flag.ErrHelp
			}
			if findOption(ctlGlobalOptions, name) == nil {
				break
			}
			n, err := readFlag(args[i:], ctlGlobalOptions, nil, globals, nil)
			if err != nil {
				return c, err
			}
			i += n
			continue
		}
		if !isCommandPrefix(append(words, a)) {
			break
		}
		words = append(words, a)
		i++
	}
	path := strings.Join(words, " ")
	c.path = path
	c.cmd = findCommand(path)
	if c.cmd == nil {
		switch {
		case path == "" && i == len(args):
			c.cmd = findCommand("help")
			return c, nil
		case path == "":
			return c, fmt.Errorf("unknown command %q", args[i])
		case i < len(args) && !isFlag(args[i]):
			return c, fmt.Errorf("%q has no command %q; its commands are: %s", path, args[i], strings.Join(subcommands(path), ", "))
		default:
			return c, fmt.Errorf("%q needs a command: %s", path, strings.Join(subcommands(path), ", "))
		}
	}

	fieldFlags := settableFields(c.cmd)
	onlyArgs := false
	for i < len(args) {
		a := args[i]
		if onlyArgs || !isFlag(a) {
			c.args = append(c.args, a)
			i++
			continue
		}
		if a == "--" {
			onlyArgs = true
			i++
			continue
		}
		name, _, _ := splitFlag(a)
		switch {
		case name == "h" || name == "help":
			return c, flag.ErrHelp
		case findOption(ctlGlobalOptions, name) != nil:
			n, err := readFlag(args[i:], ctlGlobalOptions, nil, globals, nil)
			if err != nil {
				return c, err
			}
			i += n
		default:
			n, err := readFlag(args[i:], c.cmd.options, fieldFlags, c.options, &c.fields)
			if err != nil {
				return c, fmt.Errorf("%s: %w", c.cmd.path, err)
			}
			i += n
		}
	}
	if err := checkArgCount(c.cmd, c.args); err != nil {
		return c, err
	}
	settings, err := ctlSettingsFrom(globals)
	if err != nil {
		return c, err
	}
	c.settings = settings
	return c, nil
}

// isFlag reports whether an argument is a flag; "-" alone is not.
func isFlag(a string) bool { return len(a) > 1 && a[0] == '-' }

// splitFlag splits "--name=value" (or "-name=value").
func splitFlag(a string) (name, value string, hasValue bool) {
	a = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
	name, value, hasValue = strings.Cut(a, "=")
	return name, value, hasValue
}

// readFlag reads the flag at args[0] — a command option into options or a
// field flag into fields — and returns how many arguments it used. A
// switch takes no separate argument ("--active=false" turns it off); any
// other flag takes "=value" or the next argument.
func readFlag(args []string, opts []ctlOption, fieldFlags []fieldFlag, options map[string]string, fields *[]fieldAssignment) (int, error) {
	name, value, hasValue := splitFlag(args[0])
	used := 1
	takeValue := func(isSwitch bool) error {
		switch {
		case hasValue:
		case isSwitch:
			value = "true"
		case len(args) > 1:
			value, used = args[1], 2
		default:
			return fmt.Errorf("flag --%s needs a value", name)
		}
		return nil
	}
	if o := findOption(opts, name); o != nil {
		if err := takeValue(o.value == ""); err != nil {
			return 0, err
		}
		if o.value == "" {
			if _, err := parseBool(value); err != nil {
				return 0, fmt.Errorf("flag --%s: %w", name, err)
			}
		}
		options[o.name] = value
		return used, nil
	}
	if ff := findFieldFlag(fieldFlags, name); ff != nil {
		if err := takeValue(ff.isSwitch()); err != nil {
			return 0, err
		}
		if _, err := ff.parse(value); err != nil {
			return 0, fmt.Errorf("flag --%s: %w", name, err)
		}
		*fields = append(*fields, fieldAssignment{flag: *ff, text: value})
		return used, nil
	}
	return 0, fmt.Errorf("unknown flag --%s", name)
}

func findOption(opts []ctlOption, name string) *ctlOption {
	for i := range opts {
		if opts[i].name == name {
			return &opts[i]
		}
	}
	return nil
}

// checkArgCount compares the arguments with the command's list.
func checkArgCount(cmd *ctlCommand, args []string) error {
	least, most := 0, 0
	for _, a := range cmd.args {
		switch {
		case strings.HasPrefix(a, "["):
			most++
			if strings.HasSuffix(a, "...]") {
				most = -1
			}
		case strings.HasSuffix(a, "..."):
			least++
			most = -1
		default:
			least++
			most++
		}
		if most < 0 {
			break
		}
	}
	if len(args) < least || (most >= 0 && len(args) > most) {
		return fmt.Errorf("usage: mailwrightd ctl %s", usageLine(cmd))
	}
	return nil
}

// ctlSettingsFrom applies the environment and the defaults to the global
// flags.
func ctlSettingsFrom(globals map[string]string) (ctlSettings, error) {
	pick := func(flagName, env, fallback string) string {
		if v, ok := globals[flagName]; ok {
			return v
		}
		if v := os.Getenv(env); v != "" {
			return v
		}
		return fallback
	}
	s := ctlSettings{
		server:       pick("server", envServer, "127.0.0.1:"+rpc.DefaultPort),
		user:         pick("user", envUser, "Administrator"),
		knownServers: pick("known-servers", envKnownServers, ""),
		timeout:      60 * time.Second,
	}
	s.passwordStdin, _ = parseBool(globals["password-stdin"])
	s.acceptChanged, _ = parseBool(globals["accept-changed-certificate"])
	s.json, _ = parseBool(globals["json"])
	if v, ok := globals["timeout"]; ok {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return s, fmt.Errorf("flag --timeout: %q is not a duration such as 30s", v)
		}
		s.timeout = d
	}
	return s, nil
}

// findCommand returns the command with exactly this path.
func findCommand(path string) *ctlCommand {
	for _, cmd := range ctlCommands {
		if cmd.path == path {
			return cmd
		}
	}
	return nil
}

// isCommandPrefix reports whether words begin some command's path.
func isCommandPrefix(words []string) bool {
	for _, cmd := range ctlCommands {
		path := strings.Fields(cmd.path)
		if len(path) >= len(words) && slices.Equal(path[:len(words)], words) {
			return true
		}
	}
	return false
}

// subcommands lists the words that can follow path.
func subcommands(path string) []string {
	words := strings.Fields(path)
	var next []string
	for _, cmd := range ctlCommands {
		p := strings.Fields(cmd.path)
		if len(p) > len(words) && slices.Equal(p[:len(words)], words) && !slices.Contains(next, p[len(words)]) {
			next = append(next, p[len(words)])
		}
	}
	return next
}

// connect dials the server, pins its certificate on first use and logs
// in. The login password is read here, before a command reads anything
// else from stdin.
func (c *ctlCall) connect() error {
	password, err := c.loginPassword()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.settings.timeout)
	defer cancel()
	client, err := rpc.Dial(ctx, c.settings.server, rpc.DialOptions{
		KnownServersFile: c.settings.knownServers,
		TrustOnFirstUse:  true,
		AcceptChanged:    c.settings.acceptChanged,
	})
	if err != nil {
		return err
	}
	if client.NewlyTrusted {
		fmt.Fprintf(c.stderr, "mailwrightd ctl: recorded the certificate of %s: fingerprint %s\n", client.Addr, client.Fingerprint)
	}
	if err := client.Login(ctx, c.settings.user, password); err != nil {
		client.Close()
		return fmt.Errorf("login as %s: %w", c.settings.user, err)
	}
	c.client = client
	return nil
}

// disconnect ends the session; it runs after the command, also when the
// command was interrupted, so it has a context of its own.
func (c *ctlCall) disconnect() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.client.Logout(ctx)
	c.client.Close()
}

func (c *ctlCall) loginPassword() (string, error) {
	if c.settings.passwordStdin {
		p, err := c.readLine("the login password")
		if err != nil {
			return "", err
		}
		return p, nil
	}
	if p := os.Getenv(envPassword); p != "" {
		return p, nil
	}
	return "", fmt.Errorf("no login password: give --password-stdin or set %s", envPassword)
}

// readLine reads the next line of stdin without its line break.
func (c *ctlCall) readLine(what string) (string, error) {
	line, err := c.stdin.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", fmt.Errorf("reading %s from stdin: %w", what, errOrEOF(err))
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func errOrEOF(err error) error {
	if err == io.EOF {
		return errors.New("stdin ended")
	}
	return err
}

// call is the context of one unary call.
func (c *ctlCall) call() (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.ctx, c.settings.timeout)
}

// option returns a command flag's value ("" when not given).
func (c *ctlCall) option(name string) string { return c.options[name] }

// switchOn reports whether a command switch is on.
func (c *ctlCall) switchOn(name string) bool {
	on, _ := parseBool(c.options[name])
	return on
}

// print writes a response: as JSON with --json, else as human does.
func (c *ctlCall) print(msg proto.Message, human func(w io.Writer) error) error {
	if c.settings.json {
		out, err := protojson.MarshalOptions{Multiline: true, EmitUnpopulated: true}.Marshal(msg)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.stdout, "%s\n", out)
		return err
	}
	return human(c.stdout)
}

// done reports a change: the response as JSON with --json, else a line.
func (c *ctlCall) done(msg proto.Message, format string, args ...any) error {
	return c.print(msg, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, format+"\n", args...)
		return err
	})
}

// describeCtlError is the server's message: "field: message" for an
// invalid argument, the message alone for the other Connect errors.
func describeCtlError(err error) string {
	if fe, ok := rpc.FieldErrorOf(err); ok {
		return fe.GetField() + ": " + fe.GetMessage()
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		msg := ce.Message()
		if msg == "" {
			msg = ce.Code().String()
		}
		// Keep what a command said about the call before the server's
		// words, such as "login as Administrator: ".
		if prefix, _, ok := strings.Cut(err.Error(), ce.Error()); ok {
			return prefix + msg
		}
		return msg
	}
	return err.Error()
}

// ctlHelp prints the overview, the commands under a noun or one command.
func ctlHelp(w io.Writer, path string) error {
	if cmd := findCommand(path); cmd != nil && path != "help" {
		printCommandHelp(w, cmd)
		return nil
	}
	if path != "" && path != "help" && !isCommandPrefix(strings.Fields(path)) {
		return fmt.Errorf("unknown command %q", path)
	}
	if path == "help" {
		path = ""
	}
	fmt.Fprintf(w, "Usage: mailwrightd ctl [global flags] COMMAND [arguments] [flags]\n\n")
	if path == "" {
		fmt.Fprintf(w, "Runs one call of the administration RPC (every object and setting of the\n"+
			"server) and prints the answer: lines and tables by default, the server's\n"+
			"response as JSON with --json. Objects are named by their names and\n"+
			"addresses, not ids. On failure it prints the server's message (\"field:\n"+
			"message\" for a refused value) and exits with status 1.\n\n"+
			"With --password-stdin the login password is stdin's first line; a command\n"+
			"that reads a password or a text from stdin (--account-password-stdin,\n"+
			"--route-password-stdin, account password, message set) reads what\n"+
			"follows it.\n\n"+
			"The first connection to a server records its certificate's fingerprint\n"+
			"(printed on stderr); later connections refuse a changed certificate unless\n"+
			"--accept-changed-certificate is given.\n\nGlobal flags:\n")
		printOptions(w, ctlGlobalOptions)
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Commands:")
	prefix := strings.Fields(path)
	for _, cmd := range ctlCommands {
		p := strings.Fields(cmd.path)
		if len(p) < len(prefix) || !slices.Equal(p[:len(prefix)], prefix) {
			continue
		}
		fmt.Fprintf(w, "  %-44s %s\n", usageLine(cmd), cmd.summary)
	}
	fmt.Fprintf(w, "\nRun \"mailwrightd ctl help COMMAND\" (or COMMAND --help) for a command's flags.\n")
	return nil
}

func usageLine(cmd *ctlCommand) string {
	parts := append([]string{cmd.path}, cmd.args...)
	if len(cmd.options) > 0 || cmd.fields != nil {
		parts = append(parts, "[flags]")
	}
	return strings.Join(parts, " ")
}

func printCommandHelp(w io.Writer, cmd *ctlCommand) {
	fmt.Fprintf(w, "Usage: mailwrightd ctl %s\n\n%s.\n", usageLine(cmd), upperFirst(cmd.summary))
	for _, n := range cmd.notes {
		fmt.Fprintln(w, n)
	}
	if len(cmd.options) > 0 {
		fmt.Fprintln(w, "\nFlags:")
		printOptions(w, cmd.options)
	}
	if flags := settableFields(cmd); len(flags) > 0 {
		fmt.Fprintf(w, "\nFields (--NAME=VALUE; a switch alone means true; a field not given keeps its value):\n")
		for _, ff := range flags {
			printFlagLine(w, ff.name+ff.valueHint(), ff.describe())
		}
	}
	fmt.Fprintln(w, "\nGlobal flags (see \"mailwrightd ctl help\"): --server, --user, --password-stdin, --known-servers, --accept-changed-certificate, --json, --timeout")
}

func printOptions(w io.Writer, opts []ctlOption) {
	for _, o := range opts {
		name := o.name
		if o.value != "" {
			name += " " + o.value
		}
		printFlagLine(w, name, o.help)
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// printFlagLine prints a flag and its help, the help on a line of its own
// when the flag is too long for the column.
func printFlagLine(w io.Writer, flagText, help string) {
	const width = 30
	if len(flagText) > width {
		fmt.Fprintf(w, "  --%s\n  %-*s %s\n", flagText, width+2, "", help)
		return
	}
	fmt.Fprintf(w, "  --%-*s %s\n", width, flagText, help)
}
