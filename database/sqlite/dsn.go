package sqlite

import (
	"net/url"
	"strings"

	"github.com/ferrysync/ferry"
)

const acceptedForms = "sqlite:///abs/path/file.db, sqlite://relative/file.db, sqlite:relative.db or file:path.db"

// target is a parsed DSN: the file to create and the name to hand the driver.
type target struct {
	path string // the database file, as the operating system names it
	uri  string // a SQLite URI for the driver, query included when given
}

// parseDSN turns one of the accepted DSN forms into a target. It never
// touches the file system.
func parseDSN(dsn string) (target, error) {
	bad := func(why string) error {
		return ferry.Errorf(ferry.EINVALID, "sqlite dsn: %s; use %s", why, acceptedForms)
	}
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		rest := strings.TrimPrefix(dsn, "sqlite:")
		if strings.HasPrefix(rest, "//") {
			// sqlite:///abs and sqlite://relative: everything after the two
			// slashes is the path.
			rest = rest[2:]
		}
		if strings.ContainsAny(rest, "?#") {
			return target{}, bad("query parameters are not supported in sqlite: DSNs")
		}
		if rest == "" || rest == "/" {
			return target{}, bad("no file path")
		}
		if rest == ":memory:" {
			return target{}, bad("an in-memory database cannot be a destination")
		}
		if strings.IndexByte(rest, 0) >= 0 {
			return target{}, bad("the path contains a NUL byte")
		}
		u := url.URL{Path: rest}
		return target{path: rest, uri: "file:" + u.EscapedPath()}, nil

	case strings.HasPrefix(dsn, "file:"):
		rest := strings.TrimPrefix(dsn, "file:")
		query := ""
		if i := strings.IndexAny(rest, "?#"); i >= 0 {
			rest, query = rest[:i], rest[i:]
		}
		if strings.HasPrefix(rest, "//") {
			// file://authority/path: SQLite accepts only an empty authority
			// or localhost.
			auth, p, _ := strings.Cut(rest[2:], "/")
			if auth != "" && auth != "localhost" {
				return target{}, bad("file: URIs take no host other than localhost")
			}
			rest = "/" + p
		}
		p, err := url.PathUnescape(rest)
		if err != nil {
			return target{}, bad("bad escape in path")
		}
		if p == "" || p == "/" || p == ":memory:" || strings.Contains(query, "mode=memory") {
			return target{}, bad("a file path is required (in-memory databases cannot be destinations)")
		}
		if strings.IndexByte(p, 0) >= 0 {
			return target{}, bad("the path contains a NUL byte")
		}
		if strings.HasPrefix(query, "#") {
			query = ""
		} else if i := strings.IndexByte(query, '#'); i >= 0 {
			query = query[:i]
		}
		u := url.URL{Path: p}
		return target{path: p, uri: "file:" + u.EscapedPath() + query}, nil
	}
	return target{}, bad("unknown scheme")
}
