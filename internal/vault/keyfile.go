package vault

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ferrysync/ferry"
)

// ParseKey decodes a key given as text: 32 bytes in base64 (standard or URL
// alphabet, padded or not) or 64 hex characters. Surrounding space is
// ignored. The error never repeats the input.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == KeySize {
			return k, nil
		}
	}
	return nil, ferry.Errorf(ferry.EINVALID,
		"encryption key must be %d bytes written as base64 or as %d hex characters (got %d characters); generate one with: openssl rand -base64 32",
		KeySize, 2*KeySize, len(s))
}

// LoadOrCreateKeyFile returns the key stored at path, creating the file with a
// fresh random key (mode 0600, its directory 0700) when it does not exist.
// Creation is atomic: the key is written to a temporary file that is then
// hard-linked into place, so of concurrent creators exactly one wins and the
// others read its key. A key file readable or writable by group or others is
// refused.
func LoadOrCreateKeyFile(path string) ([]byte, error) {
	k, err := readKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create key directory: %w", err)
	}
	k = make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	content := []byte(base64.StdEncoding.EncodeToString(k) + "\n")
	created, err := createExclusive(path, content)
	if err != nil {
		return nil, err
	}
	if created {
		return k, nil
	}
	// Another process created it first: use its key.
	return readKeyFile(path)
}

// createExclusive writes content to path unless path exists, reporting
// whether it did. The file appears with its full content or not at all.
func createExclusive(path string, content []byte) (bool, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return false, fmt.Errorf("create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return false, fmt.Errorf("create key file: %w", err)
	}
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return false, fmt.Errorf("write key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, fmt.Errorf("write key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("write key file: %w", err)
	}
	err = os.Link(tmp.Name(), path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrExist):
		return false, nil
	}
	// No hard links on this file system: fall back to O_EXCL. A concurrent
	// reader may then briefly see an empty file; readKeyFile waits for it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create key file: %w", err)
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return false, fmt.Errorf("write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return false, fmt.Errorf("write key file: %w", err)
	}
	return true, nil
}

func readKeyFile(path string) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read key file: %w", err) // fs.ErrNotExist stays visible to errors.Is
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("read key file: %w", err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
			f.Close()
			return nil, ferry.Errorf(ferry.EINVALID,
				"key file %s has mode %04o, so others on this machine can read it: run chmod 600 %s (and, if someone else may have read it, rotate the key)",
				path, fi.Mode().Perm(), path)
		}
		var b bytes.Buffer
		_, err = b.ReadFrom(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read key file: %w", err)
		}
		if b.Len() == 0 && attempt < 50 {
			time.Sleep(20 * time.Millisecond) // a creator without hard links is still writing
			continue
		}
		k, err := ParseKey(b.String())
		if err != nil {
			return nil, ferry.Wrap(ferry.EINVALID, err, "key file %s", path)
		}
		return k, nil
	}
}
