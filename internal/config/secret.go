package config

import (
	"fmt"
	"io"
	"strconv"
)

// redacted is what a set Secret prints as, whatever the verb or encoding.
const redacted = "[redacted]"

// Secret is a credential: a token, a client secret or an encryption key.
// A set Secret prints as [redacted] with every fmt verb (so %v, %+v and %#v
// of a whole Config are safe), and marshals as "[redacted]" to JSON and
// text (so a logger that encodes a Config never writes it). An empty Secret
// prints as an empty string: whether a credential is set is not a secret.
// Reveal is the only way to the value; call it only where the value is
// sent (an Authorization header, a cipher).
type Secret string

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]", or "" when the secret is unset.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns a Go expression for the redacted secret, for %#v.
func (s Secret) GoString() string {
	return "config.Secret(" + strconv.Quote(s.String()) + ")"
}

// Format implements fmt.Formatter so that no verb, not even %x or %d,
// reaches the value.
func (s Secret) Format(f fmt.State, verb rune) {
	out := s.String()
	switch {
	case verb == 'v' && f.Flag('#'):
		out = s.GoString()
	case verb == 'q':
		out = strconv.Quote(out)
	}
	// fmt.State's Write error is the caller's writer's error; fmt has no
	// way to report it from Format, and printing a placeholder cannot fail
	// in any way worth handling here.
	_, _ = io.WriteString(f, out)
}

// MarshalText returns "[redacted]", or nothing when the secret is unset.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalJSON returns the JSON string "[redacted]", or "" when unset.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.String())), nil }
