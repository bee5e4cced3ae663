package auth

import (
	"github.com/cloudmap/cloudmap"

	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// LoadCredentialsFile reads the keys of an AWS shared-credentials file: one
// [section] per key with aws_access_key_id and aws_secret_access_key, and
// optionally allowed_actions (comma-separated action patterns such as
// servicediscovery:Discover*) and allowed_namespaces (comma-separated
// namespace names, IDs or ARNs). Lines starting with # or ; are comments.
// The keys region and output are accepted and ignored; any other key is an
// error, so that a misspelt scope never widens a key's access. A file
// without keys is an error too, so that a truncated file cannot turn
// authentication off on reload. Errors name the file and the line.
func LoadCredentialsFile(path string) ([]Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	defer f.Close()
	return ParseCredentials(f, path)
}

// ParseCredentials is LoadCredentialsFile on a reader; name labels errors.
func ParseCredentials(r io.Reader, name string) ([]Key, error) {
	p := credParser{name: name, ids: map[string]int{}, sections: map[string]int{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		p.line++
		if err := p.parseLine(sc.Text()); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("credentials: %s: line %d: %w", name, p.line+1, err)
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	if len(p.keys) == 0 {
		return nil, fmt.Errorf("credentials: %s: no keys (want [name] sections with aws_access_key_id and aws_secret_access_key)", name)
	}
	return p.keys, nil
}

// credParser is the state of ParseCredentials.
type credParser struct {
	name     string
	line     int
	keys     []Key
	cur      *Key
	curLine  int
	seen     map[string]bool // keys set in the current section
	ids      map[string]int  // access key ID -> line of its section
	sections map[string]int  // section name -> line
}

func (p *credParser) errorf(format string, args ...any) error {
	return fmt.Errorf("credentials: %s: line %d: %s", p.name, p.line, fmt.Sprintf(format, args...))
}

func (p *credParser) parseLine(raw string) error {
	s := strings.TrimSpace(strings.TrimPrefix(raw, "\ufeff"))
	switch {
	case s == "" || s[0] == '#' || s[0] == ';':
		return nil
	case s[0] == '[':
		return p.section(s)
	}
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		// The line is not echoed: it may hold a secret.
		return p.errorf("want \"key = value\" or \"[section]\"")
	}
	k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
	if p.cur == nil {
		return p.errorf("key %q before the first [section]", clip(k))
	}
	if p.seen[k] {
		return p.errorf("key %q repeated in section [%s]", clip(k), p.cur.Name)
	}
	p.seen[k] = true
	return p.set(k, v)
}

func (p *credParser) section(s string) error {
	if !strings.HasSuffix(s, "]") {
		return p.errorf("section header %q lacks its closing \"]\"", clip(s))
	}
	name := strings.TrimSpace(s[1 : len(s)-1])
	name = strings.TrimSpace(strings.TrimPrefix(name, "profile "))
	if name == "" {
		return p.errorf("empty section name")
	}
	if at, dup := p.sections[name]; dup {
		return p.errorf("section [%s] repeated (first at line %d)", name, at)
	}
	if err := p.finish(); err != nil {
		return err
	}
	p.sections[name] = p.line
	p.cur, p.curLine, p.seen = &Key{Name: name}, p.line, map[string]bool{}
	return nil
}

func (p *credParser) set(k, v string) error {
	switch k {
	case "aws_access_key_id":
		if v == "" || strings.ContainsAny(v, "/ \t,") {
			return p.errorf("aws_access_key_id must be non-empty without '/', ',' or spaces")
		}
		if at, dup := p.ids[v]; dup {
			return p.errorf("aws_access_key_id %q already used by the section at line %d", v, at)
		}
		p.ids[v] = p.curLine
		p.cur.AccessKeyID = v
	case "aws_secret_access_key":
		if v == "" {
			return p.errorf("aws_secret_access_key is empty")
		}
		p.cur.SecretAccessKey = v
	case "allowed_actions":
		list, err := splitList(v)
		if err != nil {
			return p.errorf("allowed_actions: %v", err)
		}
		for _, a := range list {
			if err := ValidateActionPattern(a); err != nil {
				return p.errorf("allowed_actions: %v", err)
			}
		}
		p.cur.AllowedActions = list
	case "allowed_namespaces":
		list, err := splitList(v)
		if err != nil {
			return p.errorf("allowed_namespaces: %v", err)
		}
		p.cur.AllowedNamespaces = list
	case "account_id":
		if !cloudmap.ValidAccountID(v) {
			return p.errorf("account_id %q is not an AWS account ID (12 digits)", clip(v))
		}
		p.cur.AccountID = v
	case "region", "output":
		// Harmless profile settings users keep in the same file.
	default:
		return p.errorf("unknown key %q (want aws_access_key_id, aws_secret_access_key, account_id, allowed_actions or allowed_namespaces)", clip(k))
	}
	return nil
}

// finish closes the current section.
func (p *credParser) finish() error {
	if p.cur == nil {
		return nil
	}
	k := p.cur
	p.cur = nil
	switch {
	case k.AccessKeyID == "":
		return fmt.Errorf("credentials: %s: line %d: section [%s] has no aws_access_key_id", p.name, p.curLine, k.Name)
	case k.SecretAccessKey == "":
		return fmt.Errorf("credentials: %s: line %d: section [%s] has no aws_secret_access_key", p.name, p.curLine, k.Name)
	}
	p.keys = append(p.keys, *k)
	return nil
}

// splitList splits a comma-separated list, trimming spaces. An empty list
// is an error: leave the line out to allow everything.
func splitList(v string) ([]string, error) {
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty list; leave the line out to allow everything")
	}
	return out, nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
