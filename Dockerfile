# syntax=docker/dockerfile:1
#
# incident-bridge container image.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t incident-bridge .
#   docker run --rm incident-bridge version
#
# No credential is baked in: pass SLACK_*, ZOOM_* and ENCRYPTION_KEY at run
# time (a Kubernetes Secret; see manifests/ and docs/operations.md).
# manifests/check/dockerfile_test.go checks the facts this file promises.

# Keep GO_VERSION at or above the go line of go.mod.
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION} AS build
WORKDIR /src
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
# A static binary (no cgo, so no libc in the runtime image), without local
# paths; the version is stamped into main.version.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
        -o /out/incident-bridge . \
 && mkdir -p /out/data

# distroless/static: CA certificates and tzdata, no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="incident-bridge" \
      org.opencontainers.image.description="Runs incidents in Slack and gives each incident a Zoom meeting" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/incident-bridge /incident-bridge
# /data holds the bbolt file, its key file and backups. It is created owned by
# the runtime user so that a fresh Docker volume mounted there is writable.
COPY --from=build --chown=65532:65532 /out/data /data
VOLUME /data
ENV DB_PATH=/data/incident-bridge.db \
    HTTP_ADDR=:8080
EXPOSE 8080
# 65532 is distroless's "nonroot"; the Kubernetes manifests run as the same ID.
USER 65532:65532
ENTRYPOINT ["/incident-bridge"]
CMD ["run"]
