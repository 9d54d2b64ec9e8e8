// Package pgtest starts throwaway PostgreSQL clusters for tests, from the
// server binaries installed on the machine, on a free loopback port. It is
// imported by tests (and the benchmark command) only.
//
// A cluster runs with wal_level=logical and fsync off: tests kill Ferry, not
// Postgres, so durability of the cluster itself is not under test.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a running throwaway Postgres cluster.
type Cluster struct {
	Dir  string
	Port int
	User string
	bin  string
	run  []string // command prefix to run the server binaries as their owner
}

// BinDir finds the server binaries: $FERRY_PG_BINDIR, else the newest
// /usr/lib/postgresql/*/bin that has initdb (15 preferred).
func BinDir() (string, error) {
	if d := os.Getenv("FERRY_PG_BINDIR"); d != "" {
		return d, nil
	}
	if _, err := os.Stat("/usr/lib/postgresql/15/bin/initdb"); err == nil {
		return "/usr/lib/postgresql/15/bin", nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(dirs) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
		return "", errors.New("pgtest: no PostgreSQL server binaries found (install postgresql-15, or set FERRY_PG_BINDIR); scripts/test installs them")
	}
	sort.Strings(dirs)
	return filepath.Dir(dirs[len(dirs)-1]), nil
}

// Start initialises and starts a new cluster in a fresh temporary directory.
func Start() (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ferry-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, bin: bin, User: "ferry"}
	if os.Geteuid() == 0 {
		// initdb refuses root: run the server as the postgres user.
		if _, err := user.Lookup("postgres"); err != nil {
			return nil, errors.New("pgtest: running as root needs a 'postgres' user (install postgresql-15)")
		}
		if out, err := exec.Command("chown", "-R", "postgres", dir).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("pgtest: chown %s: %v: %s", dir, err, out)
		}
		c.run = []string{"runuser", "-u", "postgres", "--"}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.cmd("initdb", "-D", data, "-U", c.User, "-A", "trust", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pgtest: initdb: %v: %s", err, out)
	}
	for attempt := 0; ; attempt++ {
		c.Port, err = freePort()
		if err != nil {
			return nil, err
		}
		opts := strings.Join([]string{
			"-c listen_addresses=127.0.0.1", "-c port=" + strconv.Itoa(c.Port),
			"-c unix_socket_directories=" + dir, "-c fsync=off", "-c synchronous_commit=off",
			"-c full_page_writes=off", "-c wal_level=logical", "-c max_replication_slots=20",
			"-c max_wal_senders=20", "-c max_connections=200", "-c shared_buffers=128MB",
		}, " ")
		out, err := c.cmd("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "-o", opts, "start").CombinedOutput()
		if err == nil {
			return c, nil
		}
		if attempt == 2 {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			return nil, fmt.Errorf("pgtest: pg_ctl start: %v: %s\n%s", err, out, log)
		}
	}
}

func (c *Cluster) cmd(name string, args ...string) *exec.Cmd {
	argv := append(append([]string{}, c.run...), append([]string{filepath.Join(c.bin, name)}, args...)...)
	return exec.Command(argv[0], argv[1:]...)
}

// DSN returns the URL of database db.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", c.User, c.Port, db)
}

// CreateDB creates a fresh database with a random name and returns its DSN.
func (c *Cluster) CreateDB(ctx context.Context, prefix string) (string, error) {
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := strings.ToLower(prefix) + "_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	return c.DSN(name), nil
}

// Stop stops the cluster and removes its directory.
func (c *Cluster) Stop() error {
	out, err := c.cmd("pg_ctl", "-D", filepath.Join(c.Dir, "data"), "-m", "immediate", "-w", "stop").CombinedOutput()
	_ = os.RemoveAll(c.Dir)
	if err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var (
	shared    *Cluster
	sharedErr error
	once      sync.Once
)

// Main runs a package's tests and stops the package's shared cluster after
// them. Call it from TestMain: func TestMain(m *testing.M) { pgtest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		_ = shared.Stop()
	}
	os.Exit(code)
}

// DB returns the DSN of a fresh database in the package's shared cluster,
// starting the cluster on first use. A missing server fails the test with
// what to install: it is a setup failure, not a skip.
func DB(t testing.TB) string {
	t.Helper()
	once.Do(func() { shared, sharedErr = Start() })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dsn, err := shared.CreateDB(ctx, "t")
	if err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	return dsn
}
