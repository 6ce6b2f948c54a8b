// Package check verifies incident-bridge's deployment kit offline: the
// kustomization in manifests/ builds (in-process, with kustomize's own
// library, so no kubectl is needed), every object decodes strictly into
// its Kubernetes API type, the facts docs/operations.md relies on hold
// (one replica, Recreate, probes, non-root, read-only root filesystem, the
// volume at /data), and the Dockerfile builds a static, non-root image
// with no credentials baked in.
//
// It is its own Go module so that the Kubernetes API modules stay out of
// the app's go.mod. Run it with manifests/check/run.sh.
package check
