package main

// The fields of the API's messages as ctl's flags and output: a command
// that adds or changes an object offers a flag for each field a client may
// set, named after it (max_accounts is --max-accounts, a nested message's
// fields are prefixed by its name: allow.local_to_local is
// --allow-local-to-local), and "show" prints the same names. Enums take
// their value names without the enum's prefix (ADMIN_LEVEL_DOMAIN is
// "domain"), times take RFC 3339 or a date.

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// serverOwnedFields are never flags: the server sets them, or a command
// sets them from a name it looked up.
var serverOwnedFields = []string{"id", "created_at", "last_logon_at", "last_logon_ip", "size_bytes"}

// fieldAliases are shorter flag names for some fields, by message.
var fieldAliases = map[protoreflect.FullName]map[string]string{
	"mailwright.admin.v1.DistributionList": {
		"announcer":    "announcer-address",
		"require-auth": "require-smtp-auth",
	},
}

// fieldFlag is one settable field: the path of fields from the command's
// message down to it.
type fieldFlag struct {
	name    string
	aliases []string
	message protoreflect.FullName // the command's message
	path    []protoreflect.FieldDescriptor
}

// fieldAssignment is a field flag as given on the command line.
type fieldAssignment struct {
	flag fieldFlag
	text string
}

// settableFields lists the field flags of a command.
func settableFields(cmd *ctlCommand) []fieldFlag {
	if cmd == nil || cmd.fields == nil {
		return nil
	}
	md := cmd.fields.ProtoReflect().Descriptor()
	skip := append(slices.Clone(serverOwnedFields), cmd.fixed...)
	flags := collectFieldFlags(md, "", nil, skip)
	for i := range flags {
		flags[i].message = md.FullName()
	}
	for alias, name := range fieldAliases[md.FullName()] {
		for i := range flags {
			if flags[i].name == name {
				flags[i].aliases = append(flags[i].aliases, alias)
			}
		}
	}
	return flags
}

func collectFieldFlags(md protoreflect.MessageDescriptor, prefix string, path []protoreflect.FieldDescriptor, skip []string) []fieldFlag {
	var flags []fieldFlag
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		name := prefix + string(fd.Name())
		if slices.Contains(skip, name) || (strings.HasSuffix(name, "_id") && prefix == "") {
			continue
		}
		p := append(slices.Clone(path), fd)
		switch {
		case fd.IsMap():
			continue
		case fd.Kind() == protoreflect.MessageKind && !fd.IsList():
			flags = append(flags, collectFieldFlags(fd.Message(), name+"_", p, skip)...)
		case fd.Kind() == protoreflect.MessageKind:
			continue
		default:
			flags = append(flags, fieldFlag{name: dashed(name), path: p})
		}
	}
	return flags
}

func dashed(name string) string { return strings.ReplaceAll(name, "_", "-") }

func findFieldFlag(flags []fieldFlag, name string) *fieldFlag {
	for i := range flags {
		if flags[i].name == name || slices.Contains(flags[i].aliases, name) {
			return &flags[i]
		}
	}
	return nil
}

func (ff fieldFlag) leaf() protoreflect.FieldDescriptor { return ff.path[len(ff.path)-1] }

// isSwitch reports whether the flag is a bool, which stands alone for
// true.
func (ff fieldFlag) isSwitch() bool {
	fd := ff.leaf()
	return fd.Kind() == protoreflect.BoolKind && !fd.IsList()
}

// valueHint is what the help shows after the flag's name.
func (ff fieldFlag) valueHint() string {
	fd := ff.leaf()
	switch {
	case ff.isSwitch():
		return "[=BOOL]"
	case fd.IsList():
		return " A,B,..."
	case fd.Kind() == protoreflect.EnumKind:
		return " " + strings.Join(enumNames(fd.Enum()), "|")
	case isTimeField(fd):
		return " TIME"
	case fd.Kind() == protoreflect.StringKind:
		return " TEXT"
	}
	return " N"
}

// describe is the flag's line in the help.
func (ff fieldFlag) describe() string {
	var parts []string
	if doc := fieldDocs[ff.message][ff.name]; doc != "" {
		parts = append(parts, doc)
	}
	for _, a := range ff.aliases {
		parts = append(parts, "or --"+a)
	}
	if isTimeField(ff.leaf()) {
		parts = append(parts, "RFC 3339, YYYY-MM-DD or Unix seconds; 0 for none")
	}
	if ff.leaf().IsList() {
		parts = append(parts, "replaces the list; empty clears it")
	}
	return strings.Join(parts, "; ")
}

// parse reads a flag's text into the field's values (one, except for a
// list).
func (ff fieldFlag) parse(text string) ([]protoreflect.Value, error) {
	fd := ff.leaf()
	if fd.IsList() {
		var values []protoreflect.Value
		for item := range strings.SplitSeq(text, ",") {
			if item = strings.TrimSpace(item); item != "" {
				v, err := parseScalar(fd, item)
				if err != nil {
					return nil, err
				}
				values = append(values, v)
			}
		}
		return values, nil
	}
	v, err := parseScalar(fd, text)
	if err != nil {
		return nil, err
	}
	return []protoreflect.Value{v}, nil
}

func parseScalar(fd protoreflect.FieldDescriptor, text string) (protoreflect.Value, error) {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		b, err := parseBool(text)
		return protoreflect.ValueOfBool(b), err
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(text), nil
	case protoreflect.EnumKind:
		want := strings.ToLower(strings.TrimSpace(text))
		values := fd.Enum().Values()
		for i := range values.Len() {
			if enumShortName(fd.Enum(), values.Get(i)) == want {
				return protoreflect.ValueOfEnum(values.Get(i).Number()), nil
			}
		}
		return protoreflect.Value{}, fmt.Errorf("%q is not one of %s", text, strings.Join(enumNames(fd.Enum()), ", "))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 32)
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("%q is not a whole number", text)
		}
		return protoreflect.ValueOfInt32(int32(n)), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		n, err := strconv.ParseUint(strings.TrimSpace(text), 10, 32)
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("%q is not a whole number", text)
		}
		return protoreflect.ValueOfUint32(uint32(n)), nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		if isTimeField(fd) {
			t, err := parseTime(text)
			return protoreflect.ValueOfInt64(t), err
		}
		n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("%q is not a whole number", text)
		}
		return protoreflect.ValueOfInt64(n), nil
	}
	return protoreflect.Value{}, fmt.Errorf("a %s field cannot be set from the command line", fd.Kind())
}

// apply sets the field in msg.
func (a fieldAssignment) apply(msg proto.Message) error {
	values, err := a.flag.parse(a.text)
	if err != nil {
		return fmt.Errorf("--%s: %w", a.flag.name, err)
	}
	m := msg.ProtoReflect()
	for _, fd := range a.flag.path[:len(a.flag.path)-1] {
		m = m.Mutable(fd).Message()
	}
	leaf := a.flag.leaf()
	if leaf.IsList() {
		list := m.Mutable(leaf).List()
		list.Truncate(0)
		for _, v := range values {
			list.Append(v)
		}
		return nil
	}
	m.Set(leaf, values[0])
	return nil
}

// applyFields sets the command's field flags in msg.
func (c *ctlCall) applyFields(msg proto.Message) error {
	for _, a := range c.fields {
		if err := a.apply(msg); err != nil {
			return err
		}
	}
	return nil
}

// parseBool accepts the usual spellings of yes and no.
func parseBool(text string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(text)) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", text)
}

// isTimeField reports whether a field holds Unix seconds ("..._at").
func isTimeField(fd protoreflect.FieldDescriptor) bool {
	return fd.Kind() == protoreflect.Int64Kind && strings.HasSuffix(string(fd.Name()), "_at")
}

// parseTime reads Unix seconds, RFC 3339, "YYYY-MM-DD HH:MM" or
// "YYYY-MM-DD" (local time); "0" or nothing is no time.
func parseTime(text string) (int64, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, nil
	}
	if t, err := time.Parse(time.RFC3339, text); err == nil {
		return t.Unix(), nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, text, time.Local); err == nil {
			return t.Unix(), nil
		}
	}
	return 0, fmt.Errorf("%q is not a time: use RFC 3339, YYYY-MM-DD or Unix seconds", text)
}

func formatTime(unix int64) string {
	if unix == 0 {
		return "never"
	}
	return time.Unix(unix, 0).Format("2006-01-02 15:04:05")
}

// enumNames are the names ctl uses for an enum's values.
func enumNames(ed protoreflect.EnumDescriptor) []string {
	values := ed.Values()
	names := make([]string, 0, values.Len())
	for i := range values.Len() {
		names = append(names, enumShortName(ed, values.Get(i)))
	}
	return names
}

// enumShortName drops the enum's prefix: ADMIN_LEVEL_DOMAIN of AdminLevel
// is "domain", CONNECTION_SECURITY_STARTTLS_OPTIONAL "starttls-optional".
func enumShortName(ed protoreflect.EnumDescriptor, v protoreflect.EnumValueDescriptor) string {
	name := strings.TrimPrefix(string(v.Name()), upperSnake(string(ed.Name()))+"_")
	return strings.ToLower(dashed(name))
}

// upperSnake turns CamelCase into UPPER_SNAKE.
func upperSnake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && unicode.IsUpper(r) && !unicode.IsUpper(rune(s[i-1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// namedValue is one field of a message as ctl prints it.
type namedValue struct {
	name, text string
}

// flattenFields lists every field of m with the names the flags use,
// nested messages flattened, in declaration order.
func flattenFields(m protoreflect.Message, prefix string) []namedValue {
	var out []namedValue
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		name := prefix + string(fd.Name())
		if fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() {
			out = append(out, flattenFields(m.Get(fd).Message(), name+"_")...)
			continue
		}
		out = append(out, namedValue{dashed(name), formatField(fd, m.Get(fd))})
	}
	return out
}

// formatField prints a field's value for people.
func formatField(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch {
	case fd.IsMap():
		entries := map[string]string{}
		v.Map().Range(func(k protoreflect.MapKey, e protoreflect.Value) bool {
			entries[k.String()] = formatScalar(fd.MapValue(), e)
			return true
		})
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(entries)) {
			parts = append(parts, k+"="+entries[k])
		}
		return strings.Join(parts, " ")
	case fd.IsList():
		list := v.List()
		parts := make([]string, 0, list.Len())
		for i := range list.Len() {
			parts = append(parts, formatScalar(fd, list.Get(i)))
		}
		return strings.Join(parts, ",")
	}
	return formatScalar(fd, v)
}

func formatScalar(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch fd.Kind() {
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return enumShortName(fd.Enum(), ev)
		}
		return strconv.Itoa(int(v.Enum()))
	case protoreflect.Int64Kind:
		if isTimeField(fd) {
			return formatTime(v.Int())
		}
	case protoreflect.MessageKind:
		var parts []string
		for _, nv := range flattenFields(v.Message(), "") {
			parts = append(parts, nv.name+"="+nv.text)
		}
		return "{" + strings.Join(parts, " ") + "}"
	}
	return v.String()
}

// printObject prints every field of msg, one "name: value" line each,
// leaving out the hidden ones.
func printObject(w io.Writer, msg proto.Message, hidden ...string) error {
	tw := tabwriter.NewWriter(w, 0, 8, 1, ' ', 0)
	for _, nv := range flattenFields(msg.ProtoReflect(), "") {
		if !slices.Contains(hidden, nv.name) {
			fmt.Fprintf(tw, "%s:\t%s\n", nv.name, nv.text)
		}
	}
	return tw.Flush()
}

// printTable prints rows with the given columns (field names as the flags
// spell them), or the empty text when there are none. An empty cell shows
// as "-" so that the columns stay apart for awk and cut.
func printTable[M proto.Message](w io.Writer, rows []M, columns []string, empty string) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, empty)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	header := make([]string, len(columns))
	for i, c := range columns {
		header[i] = strings.ToUpper(c)
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, row := range rows {
		values := map[string]string{}
		for _, nv := range flattenFields(row.ProtoReflect(), "") {
			values[nv.name] = nv.text
		}
		cells := make([]string, len(columns))
		for i, c := range columns {
			cells[i] = values[c]
			if cells[i] == "" {
				cells[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
