package vault_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/ferrysync/ferry"
	"github.com/ferrysync/ferry/internal/vault"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, vault.KeySize) }

func mustNew(t *testing.T, keys ...[]byte) *vault.Vault {
	t.Helper()
	v, err := vault.New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const plain = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"

func TestSealOpen(t *testing.T) {
	t.Parallel()
	v := mustNew(t, testKey(1))
	for _, p := range []string{plain, "", "postgres://u:p@h/db", strings.Repeat("x", 10000), "ünïcødé"} {
		s, err := v.Seal(p)
		if err != nil {
			t.Fatal(err)
		}
		if p != "" && strings.Contains(s, p) {
			t.Fatalf("sealed value contains the plaintext")
		}
		wantPrefix := "v1:" + vault.KeyID(testKey(1)) + ":"
		if !strings.HasPrefix(s, wantPrefix) {
			t.Fatalf("sealed %q, want prefix %q", s, wantPrefix)
		}
		got, err := v.Open(s)
		if err != nil {
			t.Fatal(err)
		}
		if got != p {
			t.Fatalf("Open = %q, want %q", got, p)
		}
	}
}

func TestKeyID(t *testing.T) {
	t.Parallel()
	id := vault.KeyID(testKey(1))
	if len(id) != 8 {
		t.Fatalf("KeyID = %q, want 8 hex chars", id)
	}
	if _, err := hex.DecodeString(id); err != nil {
		t.Fatal(err)
	}
	if id == vault.KeyID(testKey(2)) {
		t.Fatal("different keys, same id")
	}
	if mustNew(t, testKey(1), testKey(2)).KeyID() != id {
		t.Fatal("Vault.KeyID is not the first key's")
	}
}

func TestSealNonceUnique(t *testing.T) {
	t.Parallel()
	v := mustNew(t, testKey(1))
	a, _ := v.Seal(plain)
	b, _ := v.Seal(plain)
	if a == b {
		t.Fatal("two seals of one value are equal: nonce reused")
	}
}

func TestNewRejectsBadKeys(t *testing.T) {
	t.Parallel()
	for _, keys := range [][][]byte{nil, {testKey(1)[:16]}, {testKey(1), make([]byte, 31)}} {
		if _, err := vault.New(keys...); ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("New(%d keys) error = %v, want EINVALID", len(keys), err)
		}
	}
}

func TestTamper(t *testing.T) {
	t.Parallel()
	v := mustNew(t, testKey(1))
	s, err := v.Seal(plain)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndex(s, ":")
	raw, _ := base64.RawURLEncoding.DecodeString(s[i+1:])
	var cases []string
	for _, pos := range []int{0, 12, len(raw) / 2, len(raw) - 1} { // nonce, ciphertext, tag
		b := bytes.Clone(raw)
		b[pos] ^= 0x01
		cases = append(cases, s[:i+1]+base64.RawURLEncoding.EncodeToString(b))
	}
	cases = append(cases,
		s[:i+1]+base64.RawURLEncoding.EncodeToString(raw[:len(raw)-1]), // truncated
		s[:i+1]+base64.RawURLEncoding.EncodeToString(raw[:5]),          // too short
		s[:i+1]+"!!!not-base64",
		"v2"+s[2:],
		plain,
		"",
	)
	for _, c := range cases {
		_, err := v.Open(c)
		if ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("Open(tampered) error = %v, want EINVALID", err)
			continue
		}
		if strings.Contains(err.Error(), plain) {
			t.Errorf("error contains the plaintext: %v", err)
		}
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	old := mustNew(t, testKey(1))
	sealedOld, _ := old.Seal(plain)

	rotated := mustNew(t, testKey(2), testKey(1))
	got, err := rotated.Open(sealedOld)
	if err != nil || got != plain {
		t.Fatalf("rotated.Open(old value) = %q, %v", got, err)
	}
	sealedNew, _ := rotated.Seal(plain)
	if !strings.HasPrefix(sealedNew, "v1:"+vault.KeyID(testKey(2))+":") {
		t.Fatalf("rotated vault sealed with the old key: %q", sealedNew)
	}
	if _, err := old.Open(sealedNew); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Fatalf("old.Open(new value) error = %v, want EINVALID", err)
	}
}

func TestWrongKey(t *testing.T) {
	t.Parallel()
	s, _ := mustNew(t, testKey(1)).Seal(plain)
	_, err := mustNew(t, testKey(2)).Open(s)
	var fe *ferry.Error
	if !errors.As(err, &fe) || fe.Code != ferry.EINVALID {
		t.Fatalf("error = %v, want *ferry.Error EINVALID", err)
	}
	msg := err.Error()
	for _, want := range []string{vault.KeyID(testKey(1)), "FERRY_SECRET_KEY"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if strings.Contains(msg, plain) || strings.Contains(msg, s) {
		t.Errorf("error leaks the value: %q", msg)
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	k := make([]byte, vault.KeySize)
	for i := range k {
		k[i] = byte(250 - i) // bytes that differ between the std and url alphabets
	}
	good := map[string]string{
		"std":        base64.StdEncoding.EncodeToString(k),
		"std raw":    base64.RawStdEncoding.EncodeToString(k),
		"url":        base64.URLEncoding.EncodeToString(k),
		"url raw":    base64.RawURLEncoding.EncodeToString(k),
		"hex":        hex.EncodeToString(k),
		"hex upper":  strings.ToUpper(hex.EncodeToString(k)),
		"whitespace": "  " + base64.StdEncoding.EncodeToString(k) + "\n",
	}
	for name, s := range good {
		got, err := vault.ParseKey(s)
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("%s: ParseKey = %x, %v", name, got, err)
		}
	}
	bad := map[string]string{
		"empty":     "",
		"short b64": base64.StdEncoding.EncodeToString(k[:16]),
		"long b64":  base64.StdEncoding.EncodeToString(append(k, 1)),
		"short hex": hex.EncodeToString(k[:31]),
		"garbage":   "correct horse battery staple!!",
	}
	for name, s := range bad {
		_, err := vault.ParseKey(s)
		if ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("%s: error = %v, want EINVALID", name, err)
		} else if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("%s: error repeats the input", name)
		}
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "ferry")
	path := filepath.Join(dir, "secret.key")
	k1, err := vault.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != vault.KeySize {
		t.Fatalf("key is %d bytes", len(k1))
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("key file mode %04o, want 0600", fi.Mode().Perm())
		}
		if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
			t.Errorf("key dir mode %04o, want 0700", fi.Mode().Perm())
		}
	}
	k2, err := vault.LoadOrCreateKeyFile(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load = %x, %v; want the created key", k2, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("key directory holds %d entries, want only the key file", len(entries))
	}
}

func TestLoadKeyFileExisting(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "k")
	k := testKey(7)
	if err := os.WriteFile(path, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := vault.LoadOrCreateKeyFile(path)
	if err != nil || !bytes.Equal(got, k) {
		t.Fatalf("LoadOrCreateKeyFile = %x, %v", got, err)
	}

	bad := filepath.Join(t.TempDir(), "bad")
	if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := vault.LoadOrCreateKeyFile(bad); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Fatalf("malformed key file error = %v, want EINVALID", err)
	}
}

func TestLoadKeyFileRefusesLooseMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix permissions")
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "k")
	if _, err := vault.LoadOrCreateKeyFile(path); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := vault.LoadOrCreateKeyFile(path)
		if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: error = %v, want EINVALID telling to chmod 600", mode, err)
		}
	}
}

func TestLoadOrCreateKeyFileConcurrent(t *testing.T) {
	t.Parallel()
	for round := 0; round < 20; round++ {
		path := filepath.Join(t.TempDir(), "sub", "secret.key")
		const n = 16
		keys := make([][]byte, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				keys[i], errs[i] = vault.LoadOrCreateKeyFile(path)
			})
		}
		close(start)
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("creator %d: %v", i, errs[i])
			}
			if !bytes.Equal(keys[i], keys[0]) {
				t.Fatalf("creator %d got a different key than creator 0", i)
			}
		}
		onDisk, err := vault.LoadOrCreateKeyFile(path)
		if err != nil || !bytes.Equal(onDisk, keys[0]) {
			t.Fatalf("key on disk differs from the one returned")
		}
	}
}
