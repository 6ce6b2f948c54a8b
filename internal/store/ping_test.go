package store

import (
	"context"
	"testing"
)

// TestPing: an open store answers; a closed one does not, which is what
// /readyz reports as "database not open".
func TestPing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.s.Ping(ctx); err != nil {
		t.Fatalf("Ping of an open store: %v", err)
	}
	e.close()
	if err := e.s.Ping(ctx); err == nil {
		t.Error("Ping of a closed store succeeded")
	}
}
