#!/usr/bin/env bash
# Checks the deployment kit offline: builds manifests/ with kustomize's own
# library (no kubectl or cluster needed), decodes every object strictly into
# its Kubernetes API type, asserts the facts the operator's guide relies on,
# and checks the Dockerfile. Needs only Go; modules come through the default
# module proxy. CI runs it; so can you, from anywhere.
set -euo pipefail
cd "$(dirname "$0")"
go vet ./...
go test -count=1 ./...
