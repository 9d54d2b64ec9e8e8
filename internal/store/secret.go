package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ferrysync/ferry"
)

// sealSecret returns the sealed form of v for storage; no value stays empty.
func (s *Store) sealSecret(v ferry.Secret) (string, error) {
	if v.IsZero() {
		return "", nil
	}
	sealed, err := s.sealer.Seal(v.Reveal())
	if err != nil {
		return "", fmt.Errorf("seal secret: %w", err)
	}
	return sealed, nil
}

// openSecret opens a stored secret; what names it for the error ("the API
// key of connection \"x\"").
func (s *Store) openSecret(sealed, what string) (ferry.Secret, error) {
	if sealed == "" {
		return ferry.Secret{}, nil
	}
	plain, err := s.sealer.Open(sealed)
	if err != nil {
		return ferry.Secret{}, ferry.Wrap(ferry.ErrorCode(err), err, "cannot decrypt %s", what)
	}
	return ferry.NewSecret(plain), nil
}

// sameSecret reports whether the stored sealed value holds v. A value that
// cannot be opened (sealed with a key that is gone) counts as different, so
// that putting the credential again re-seals it with the current key.
func (s *Store) sameSecret(sealed string, v ferry.Secret) bool {
	if sealed == "" || v.IsZero() {
		return sealed == "" && v.IsZero()
	}
	plain, err := s.sealer.Open(sealed)
	return err == nil && plain == v.Reveal()
}

func validName(kind, name string) error {
	if name == "" {
		return ferry.Errorf(ferry.EINVALID, "a %s needs a name", kind)
	}
	if len(name) > 200 {
		return ferry.Errorf(ferry.EINVALID, "%s name %.40q... is longer than 200 characters", kind, name)
	}
	return nil
}

// ResealSecrets re-encrypts every stored secret with the sealer's current
// (first) key and returns how many values it rewrote. Run it after adding a
// new key in front of the old one; afterwards the old key can be dropped. A
// secret that no configured key opens fails the whole call, and nothing is
// rewritten.
func (s *Store) ResealSecrets(ctx context.Context) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, t := range []struct{ table, col, what string }{
			{"projects", "dsn", "the DSN of project"}, {"connections", "api_key", "the API key of connection"},
		} {
			rows, err := s.query(ctx, tx, "SELECT name, "+t.col+" FROM "+t.table+" WHERE "+t.col+" <> '' ORDER BY name")
			if err != nil {
				return err
			}
			var names, sealed []string
			for rows.Next() {
				var name, v string
				if err := rows.Scan(&name, &v); err != nil {
					rows.Close()
					return err
				}
				names, sealed = append(names, name), append(sealed, v)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for i, name := range names {
				plain, err := s.openSecret(sealed[i], fmt.Sprintf("%s %q", t.what, name))
				if err != nil {
					return err
				}
				v, err := s.sealSecret(plain)
				if err != nil {
					return err
				}
				if _, err := s.exec(ctx, tx, "UPDATE "+t.table+" SET "+t.col+" = ? WHERE name = ?", v, name); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, s.dbErr(err, "reseal secrets")
	}
	return n, nil
}
