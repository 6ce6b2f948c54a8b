package check

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseDockerfile(t *testing.T) {
	t.Parallel()
	const src = `# syntax=docker/dockerfile:1
ARG GO_VERSION=1.26
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
RUN a \
    # a comment inside a continuation
    b \
 && c
ENV A=1 B="two words"
FROM scratch
USER 1:1
`
	df, err := parseDockerfile(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(df.GlobalArgs) != 1 || df.GlobalArgs[0].Args != "GO_VERSION=1.26" {
		t.Errorf("global args = %+v", df.GlobalArgs)
	}
	if len(df.Stages) != 2 || df.Stages[0].From != "golang:${GO_VERSION}" || df.Stages[0].Name != "build" || df.Stages[1].From != "scratch" {
		t.Fatalf("stages = %+v", df.Stages)
	}
	run := df.Stages[0].all("RUN")
	if len(run) != 1 || strings.Join(strings.Fields(run[0].Args), " ") != "a b && c" || run[0].Line != 4 {
		t.Errorf("RUN = %+v", run)
	}
	if got := df.Stages[1].all("USER"); len(got) != 1 || got[0].Args != "1:1" {
		t.Errorf("USER = %+v", got)
	}

	for _, bad := range []string{"", "RUN x\n", "FROM\n", "FROM a\nRUN x \\\n", "FROM a\nRUN <<EOF\nx\nEOF\n"} {
		if _, err := parseDockerfile(strings.NewReader(bad)); err == nil {
			t.Errorf("parseDockerfile(%q) succeeded; want an error", bad)
		}
	}
}

func TestKeyValues(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   instruction
		want []keyValue
	}{
		{instruction{Cmd: "ENV", Args: `A=1 B="two words" C=`}, []keyValue{{"A", "1", true}, {"B", "two words", true}, {"C", "", true}}},
		{instruction{Cmd: "ENV", Args: "LEGACY some value"}, []keyValue{{"LEGACY", "some value", true}}},
		{instruction{Cmd: "ARG", Args: "VERSION"}, []keyValue{{"VERSION", "", false}}},
		{instruction{Cmd: "ARG", Args: "SLACK_BOT_TOKEN=xoxb-1"}, []keyValue{{"SLACK_BOT_TOKEN", "xoxb-1", true}}},
	} {
		got, err := keyValues(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("keyValues(%+v) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	if _, err := keyValues(instruction{Cmd: "ENV", Args: `A="open`}); err == nil {
		t.Error(`keyValues(A="open) succeeded; want an unterminated-quote error`)
	}
}

func TestLooksSecret(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"SLACK_BOT_TOKEN": true, "ZOOM_CLIENT_SECRET": true, "ENCRYPTION_KEY": true, "DB_PASSWORD": true,
		"KEY": true, "VERSION": false, "DB_PATH": false, "BACKUP_KEEP": false, "GO_VERSION": false, "KEYBOARD": false,
	} {
		if got := looksSecret(name); got != want {
			t.Errorf("looksSecret(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		a, b string
		want int
	}{{"1.26.8", "1.26.8", 0}, {"1.26", "1.26.8", -1}, {"1.27", "1.26.8", 1}, {"1.9", "1.10", -1}} {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
