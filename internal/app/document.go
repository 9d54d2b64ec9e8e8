package app

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/schedule"
)

// Document is a ferry.yaml file: everything `ferry apply` declares.
type Document struct {
	Projects    []ProjectSpec    `yaml:"projects"`
	Connections []ConnectionSpec `yaml:"connections"`
	Syncs       []SyncSpec       `yaml:"syncs"`
	Scopes      []ScopeSpec      `yaml:"scopes"`
	file        string
}

// ProjectSpec declares a destination database.
type ProjectSpec struct {
	Name     string `yaml:"name"`
	Database string `yaml:"database"` // postgres://... or sqlite:///path
	Active   *bool  `yaml:"active"`
	line     int
}

// ConnectionSpec declares a provider account.
type ConnectionSpec struct {
	Name      string  `yaml:"name"`
	Provider  string  `yaml:"provider"`
	APIKey    string  `yaml:"api_key"`
	BaseURL   string  `yaml:"base_url"`
	RateLimit float64 `yaml:"rate_limit"`
	line      int
}

// SyncSpec declares a sync configuration.
type SyncSpec struct {
	Name       string            `yaml:"name"`
	Connection string            `yaml:"connection"`
	Object     string            `yaml:"object"`
	Project    string            `yaml:"project"`
	Table      string            `yaml:"table"`
	Fields     []string          `yaml:"fields"`
	Rename     map[string]string `yaml:"rename"`
	Strategy   string            `yaml:"strategy"`
	FullEvery  int               `yaml:"full_every"`
	Direction  string            `yaml:"direction"`
	Active     *bool             `yaml:"active"`
	// Schedule is "every 15m" or a 5-field cron expression ("0 3 * * *"),
	// evaluated in Timezone (IANA name, default UTC); ScheduleActive false
	// pauses the schedule tier. See docs/operations.md.
	Schedule       string `yaml:"schedule"`
	Timezone       string `yaml:"timezone"`
	ScheduleActive *bool  `yaml:"schedule_active"`
	line           int
}

// ParseDocument parses a ferry.yaml. file names it in errors; env looks up
// the ${VAR} references in string values (an unset variable is an error).
func ParseDocument(file string, data []byte, env func(string) (string, bool)) (*Document, error) {
	doc := &Document{file: file}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, errEOF) || err.Error() == "EOF" {
			return nil, ferry.Errorf(ferry.EINVALID, "%s: the file is empty; declare projects, connections and syncs", file)
		}
		return nil, ferry.Errorf(ferry.EINVALID, "%s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	top := &root
	if top.Kind == yaml.DocumentNode && len(top.Content) == 1 {
		top = top.Content[0]
	}
	if err := checkKeys(file, top, "the top level", "projects", "connections", "syncs", "scopes"); err != nil {
		return nil, err
	}
	if err := top.Decode(doc); err != nil {
		var le *lineError
		if errors.As(err, &le) {
			return nil, ferry.Errorf(ferry.EINVALID, "%s:%d: %s", file, le.line, le.msg)
		}
		return nil, ferry.Errorf(ferry.EINVALID, "%s: %s", file, strings.TrimPrefix(strings.ReplaceAll(err.Error(), "\n ", ""), "yaml: "))
	}
	doc.file = file
	if err := doc.expand(env); err != nil {
		return nil, err
	}
	return doc, nil
}

var errEOF = errors.New("EOF")

func (s *ProjectSpec) UnmarshalYAML(n *yaml.Node) error {
	type plain ProjectSpec
	s.line = n.Line
	return decodeStrict(n, "project", (*plain)(s), "name", "database", "active")
}

func (s *ConnectionSpec) UnmarshalYAML(n *yaml.Node) error {
	type plain ConnectionSpec
	s.line = n.Line
	return decodeStrict(n, "connection", (*plain)(s), "name", "provider", "api_key", "base_url", "rate_limit")
}

func (s *SyncSpec) UnmarshalYAML(n *yaml.Node) error {
	type plain SyncSpec
	s.line = n.Line
	return decodeStrict(n, "sync", (*plain)(s), "name", "connection", "object", "project", "table", "fields",
		"rename", "strategy", "full_every", "direction", "active", "schedule", "timezone", "schedule_active")
}

// ScopeSpec declares a scope: sync configurations started together with
// ferry scope start NAME.
type ScopeSpec struct {
	Name  string   `yaml:"name"`
	Syncs []string `yaml:"syncs"`
	line  int
}

func (s *ScopeSpec) UnmarshalYAML(n *yaml.Node) error {
	type plain ScopeSpec
	s.line = n.Line
	return decodeStrict(n, "scope", (*plain)(s), "name", "syncs")
}

// lineError carries a line number through yaml's decoder.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func decodeStrict(n *yaml.Node, what string, v any, keys ...string) error {
	if err := checkKeys("", n, "a "+what, keys...); err != nil {
		return err
	}
	return n.Decode(v)
}

func checkKeys(file string, n *yaml.Node, where string, keys ...string) error {
	if n.Kind != yaml.MappingNode {
		return lineErr(file, n.Line, fmt.Sprintf("%s must be a mapping of keys (%s)", where, strings.Join(keys, ", ")))
	}
	for i := 0; i < len(n.Content); i += 2 {
		k := n.Content[i]
		if !contains(keys, k.Value) {
			return lineErr(file, k.Line, fmt.Sprintf("unknown key %q in %s (valid: %s)", k.Value, where, strings.Join(keys, ", ")))
		}
	}
	return nil
}

func lineErr(file string, line int, msg string) error {
	if file == "" {
		return &lineError{line: line, msg: msg}
	}
	return ferry.Errorf(ferry.EINVALID, "%s:%d: %s", file, line, msg)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (d *Document) errorf(line int, format string, args ...any) error {
	return ferry.Errorf(ferry.EINVALID, "%s:%d: %s", d.file, line, fmt.Sprintf(format, args...))
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expand replaces ${VAR} in the values that may hold secrets or addresses.
func (d *Document) expand(env func(string) (string, bool)) error {
	var err error
	sub := func(line int, key, s string) string {
		return envRef.ReplaceAllStringFunc(s, func(ref string) string {
			name := envRef.FindStringSubmatch(ref)[1]
			v, ok := env(name)
			if !ok && err == nil {
				err = d.errorf(line, "%s refers to ${%s}, which is not set; export it before running ferry", key, name)
			}
			return v
		})
	}
	for i := range d.Projects {
		p := &d.Projects[i]
		p.Database = sub(p.line, "database", p.Database)
	}
	for i := range d.Connections {
		c := &d.Connections[i]
		c.APIKey = sub(c.line, "api_key", c.APIKey)
		c.BaseURL = sub(c.line, "base_url", c.BaseURL)
	}
	return err
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// check validates what can be checked without the registries or the store:
// required keys, names, duplicates, enumerations.
func (d *Document) check() error {
	seen := map[string]map[string]int{"project": {}, "connection": {}, "sync": {}}
	name := func(kind, n string, line int) error {
		if n == "" {
			return d.errorf(line, "%s has no name", kind)
		}
		if !namePattern.MatchString(n) {
			return d.errorf(line, "%s name %q: use lowercase letters, digits, '-' and '_' (at most 63)", kind, n)
		}
		if prev, ok := seen[kind][n]; ok {
			return d.errorf(line, "%s %q is declared twice (first at line %d)", kind, n, prev)
		}
		seen[kind][n] = line
		return nil
	}
	for _, p := range d.Projects {
		if err := name("project", p.Name, p.line); err != nil {
			return err
		}
		if p.Database == "" {
			return d.errorf(p.line, "project %s has no database; give a postgres:// DSN or sqlite:///path/file.db", p.Name)
		}
	}
	for _, c := range d.Connections {
		if err := name("connection", c.Name, c.line); err != nil {
			return err
		}
		if c.Provider == "" {
			return d.errorf(c.line, "connection %s has no provider", c.Name)
		}
		if c.APIKey == "" {
			return d.errorf(c.line, "connection %s has no api_key; write api_key: \"${STRIPE_API_KEY}\" and export the variable", c.Name)
		}
		if c.RateLimit < 0 {
			return d.errorf(c.line, "connection %s: rate_limit must be positive (requests per second)", c.Name)
		}
	}
	for _, s := range d.Syncs {
		if err := name("sync", s.Name, s.line); err != nil {
			return err
		}
		for _, req := range []struct{ key, val string }{{"connection", s.Connection}, {"object", s.Object}, {"project", s.Project}, {"table", s.Table}} {
			if req.val == "" {
				return d.errorf(s.line, "sync %s has no %s", s.Name, req.key)
			}
		}
		switch ferry.Strategy(s.Strategy) {
		case "", ferry.Full, ferry.Incremental:
		default:
			return d.errorf(s.line, "sync %s: unknown strategy %q (valid: full, incremental)", s.Name, s.Strategy)
		}
		if s.FullEvery < 0 || (s.FullEvery > 0 && ferry.Strategy(s.Strategy) != ferry.Incremental) {
			return d.errorf(s.line, "sync %s: full_every needs strategy: incremental and a positive number of runs", s.Name)
		}
		if s.Schedule != "" {
			if _, err := schedule.Parse(s.Schedule, s.Timezone); err != nil {
				return d.errorf(s.line, "sync %s: %v", s.Name, err)
			}
		} else if s.Timezone != "" || s.ScheduleActive != nil {
			return d.errorf(s.line, "sync %s: timezone and schedule_active need a schedule", s.Name)
		}
		switch ferry.Direction(s.Direction) {
		case "", ferry.OneWay:
		case ferry.TwoWay:
			return d.errorf(s.line, "sync %s: direction two-way is not available yet; use one-way", s.Name)
		default:
			return d.errorf(s.line, "sync %s: unknown direction %q (valid: one-way)", s.Name, s.Direction)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
