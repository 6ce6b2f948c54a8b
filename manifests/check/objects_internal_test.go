package check

import (
	"strings"
	"testing"
)

// TestStrictDecodingRejects proves the decoding the other tests rely on
// is strict: without it, a misspelt field would be dropped silently and
// every fact check would still pass.
func TestStrictDecodingRejects(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, yaml, want string
	}{
		{"unknown field", "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replica: 1\n", `unknown field "replica"`},
		{"misplaced field", "apiVersion: v1\nkind: Service\nspec:\n  ports:\n  - port: 80\n    path: /x\n", `unknown field "path"`},
		{"duplicate key", "apiVersion: v1\nkind: ConfigMap\ndata:\n  A: x\n  A: y\n", `key "A" already set`},
		{"wrong type", "apiVersion: v1\nkind: ConfigMap\ndata: [1]\n", "cannot unmarshal"},
		{"bad quantity", "apiVersion: v1\nkind: PersistentVolumeClaim\nspec:\n  resources:\n    requests:\n      storage: lots\n", "quantities must match"},
		{"unknown kind", "apiVersion: apps/v1\nkind: StatefulSet\n", "no check knows this kind"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var o objects
			err := o.add([]byte(tt.yaml), strictYAML)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("add(%q) = %v; want an error containing %q", tt.yaml, err, tt.want)
			}
		})
	}
	var o objects
	if err := o.add([]byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"},"extra":1}`), strictJSON); err == nil {
		t.Error("strictJSON accepted an unknown top-level field")
	}
}
