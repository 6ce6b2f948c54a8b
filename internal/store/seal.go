package store

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"

	"go.etcd.io/bbolt"
)

// KeySize is the length of the token-sealing key: AES-256.
const KeySize = 32

// keyCheckPlain is sealed into meta/keycheck so a wrong key is caught at
// Open, not later as undecryptable tokens.
var keyCheckPlain = []byte("incident-bridge key check v1")

// keyCheckAAD binds the key-check record to its purpose.
var keyCheckAAD = []byte("meta/keycheck")

// newAEAD returns AES-256-GCM for key.
func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("encryption key is %d bytes; want %d (AES-256)", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("new cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("new gcm: %w", err)
	}
	return aead, nil
}

// seal encrypts plain with a fresh random nonce, authenticating aad; the
// result is nonce || ciphertext || tag.
func seal(aead cipher.AEAD, plain, aad []byte) ([]byte, error) {
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: read nonce: %w", err)
	}
	return aead.Seal(nonce, nonce, plain, aad), nil
}

// unseal reverses seal. It fails if the key, aad or data differ.
func unseal(aead cipher.AEAD, sealed, aad []byte) ([]byte, error) {
	n := aead.NonceSize()
	if len(sealed) < n+aead.Overhead() {
		return nil, fmt.Errorf("unseal: sealed data too short")
	}
	plain, err := aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, fmt.Errorf("unseal: %w", err)
	}
	return plain, nil
}

// checkKey verifies s.aead against meta/keycheck, writing the record on a
// file that has none yet (a new file).
func (s *Store) checkKey(tx *bbolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	sealed := meta.Get(metaKeyCheck)
	if sealed == nil {
		return putKeyCheck(tx, s.aead)
	}
	plain, err := unseal(s.aead, sealed, keyCheckAAD)
	if err != nil || !bytes.Equal(plain, keyCheckPlain) {
		return ErrWrongKey
	}
	return nil
}

func putKeyCheck(tx *bbolt.Tx, aead cipher.AEAD) error {
	sealed, err := seal(aead, keyCheckPlain, keyCheckAAD)
	if err != nil {
		return fmt.Errorf("seal key check: %w", err)
	}
	if err := tx.Bucket(bucketMeta).Put(metaKeyCheck, sealed); err != nil {
		return fmt.Errorf("write key check: %w", err)
	}
	return nil
}

// Rekey re-seals every stored Zoom token pair and the key-check record under
// newKey, in one transaction; on error nothing changes. From then on the
// Store uses newKey.
//
// Rotating ENCRYPTION_KEY:
//
//  1. Stop incident-bridge (one process may hold the file).
//  2. Open the database with the current key and call Rekey with the new
//     one (for example from an operator subcommand), then Close.
//  3. Set ENCRYPTION_KEY to the new key (or replace the key file beside the
//     database) and start incident-bridge again. Opening with the old key
//     now fails with ErrWrongKey.
//  4. Keep the old key as long as backups taken before the rotation are
//     kept: their tokens are still sealed with it.
func (s *Store) Rekey(ctx context.Context, newKey []byte) error {
	aead, err := newAEAD(newKey)
	if err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	err = s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		var teams [][]byte
		if err := b.ForEach(func(k, _ []byte) error {
			teams = append(teams, bytes.Clone(k))
			return nil
		}); err != nil {
			return err
		}
		// bbolt forbids writing a bucket while ForEach walks it, so the
		// keys are collected first.
		for _, team := range teams {
			rec, err := decodeConnection(b.Get(team))
			if err != nil {
				return fmt.Errorf("token record %s: %w", team, err)
			}
			plain, err := unseal(s.aead, rec.Sealed, team)
			if err != nil {
				return fmt.Errorf("token record %s: %w", team, err)
			}
			if rec.Sealed, err = seal(aead, plain, team); err != nil {
				return fmt.Errorf("token record %s: %w", team, err)
			}
			if err := putJSON(b, team, rec); err != nil {
				return fmt.Errorf("token record %s: %w", team, err)
			}
		}
		return putKeyCheck(tx, aead)
	})
	if err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	s.aead = aead
	return nil
}
