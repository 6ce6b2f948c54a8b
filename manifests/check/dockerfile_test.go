package check

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the app's module root, relative to this package.
var repoRoot = filepath.Join(manifestsDir, "..")

func readDockerfile(t *testing.T) dockerfile {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	df, err := parseDockerfile(f)
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	return df
}

// stageVars returns the stage's ENV and ARG names and values, in order.
func stageVars(t *testing.T, s stage, cmd string) []keyValue {
	t.Helper()
	var out []keyValue
	for _, in := range s.all(cmd) {
		kvs, err := keyValues(in)
		if err != nil {
			t.Fatalf("Dockerfile %v", err)
		}
		out = append(out, kvs...)
	}
	return out
}

func lookup(kvs []keyValue, name string) (string, bool) {
	for i := len(kvs) - 1; i >= 0; i-- {
		if kvs[i].Name == name {
			return kvs[i].Value, true
		}
	}
	return "", false
}

func TestDockerfileBuildStage(t *testing.T) {
	t.Parallel()
	df := readDockerfile(t)
	if len(df.Stages) < 2 {
		t.Fatalf("%d stages; want a multi-stage build (builder + minimal runtime)", len(df.Stages))
	}
	final := df.Stages[len(df.Stages)-1]
	var build *stage
	for i, s := range df.Stages[:len(df.Stages)-1] {
		if strings.HasPrefix(s.From, "golang:") {
			build = &df.Stages[i]
		}
	}
	if build == nil {
		t.Fatal("no golang builder stage")
	}

	// The binary: static, trimmed, version-stamped, built from ARG VERSION.
	var goBuild instruction
	for _, in := range build.all("RUN") {
		if strings.Contains(in.Args, "go build") {
			goBuild = in
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=${VERSION}", " ."} {
		if !strings.Contains(goBuild.Args, want) {
			t.Errorf("the go build RUN lacks %q: %s", want, goBuild.Args)
		}
	}
	versionArg := slices.IndexFunc(build.Instructions, func(in instruction) bool {
		return in.Cmd == "ARG" && strings.HasPrefix(in.Args, "VERSION")
	})
	if versionArg < 0 || build.Instructions[versionArg].Line > goBuild.Line {
		t.Error("ARG VERSION must be declared in the build stage before go build")
	}

	// The Go toolchain must satisfy go.mod's go line, or the build fails
	// (GOTOOLCHAIN downloads are not a thing to rely on in an image build).
	goVersion, ok := lookup(argValues(t, df.GlobalArgs), "GO_VERSION")
	if !ok || !strings.Contains(build.From, "${GO_VERSION}") {
		t.Fatalf("builder image %q should be golang:${GO_VERSION} with a global ARG GO_VERSION", build.From)
	}
	if modGo := goModVersion(t); compareVersions(goVersion, modGo) < 0 {
		t.Errorf("ARG GO_VERSION=%s is older than go.mod's go %s", goVersion, modGo)
	}

	// The runtime copies only the binary (and the empty /data) from the
	// builder: no source, no module cache.
	for _, in := range final.all("COPY") {
		if !strings.Contains(in.Args, "--from="+build.Name) {
			t.Errorf("final stage copies from the build context (line %d): %s", in.Line, in.Args)
		}
	}
}

func TestDockerfileRuntimeStage(t *testing.T) {
	t.Parallel()
	df := readDockerfile(t)
	final := df.Stages[len(df.Stages)-1]
	if !strings.HasPrefix(final.From, "gcr.io/distroless/static") && final.From != "scratch" {
		t.Errorf("runtime image %q; want distroless/static or scratch for a static binary", final.From)
	}

	users := final.all("USER")
	if len(users) == 0 {
		t.Fatal("final stage sets no USER: the image would run as root")
	}
	user := users[len(users)-1].Args
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("USER %q; want a numeric non-root UID (Kubernetes runAsNonRoot cannot verify a name)", user)
	} else if n != nonRootUID {
		t.Errorf("USER %d, but the manifests run as %d", n, nonRootUID)
	}

	volumes := strings.Join(args(final, "VOLUME"), " ")
	if !slices.Contains(strings.Fields(strings.NewReplacer("[", " ", "]", " ", `"`, " ", ",", " ").Replace(volumes)), "/data") {
		t.Errorf("VOLUME %q; want /data", volumes)
	}

	env := stageVars(t, final, "ENV")
	o := build(t)
	cm := one(t, "ConfigMap", o.ConfigMaps).Data
	for _, k := range []string{"DB_PATH", "HTTP_ADDR"} {
		v, ok := lookup(env, k)
		if !ok {
			t.Errorf("final stage sets no ENV %s", k)
		} else if v != cm[k] {
			t.Errorf("ENV %s=%q, but the ConfigMap says %q", k, v, cm[k])
		}
	}
	dbPath, _ := lookup(env, "DB_PATH")
	if !strings.HasPrefix(dbPath, "/data/") {
		t.Errorf("ENV DB_PATH=%q is not on the /data volume", dbPath)
	}
	addr, _ := lookup(env, "HTTP_ADDR")
	_, port, err := net.SplitHostPort(addr)
	if err != nil || !slices.Contains(args(final, "EXPOSE"), port) && !slices.Contains(args(final, "EXPOSE"), port+"/tcp") {
		t.Errorf("EXPOSE %v does not match HTTP_ADDR %q", args(final, "EXPOSE"), addr)
	}

	// Exec form, so the binary is PID 1 and receives SIGTERM itself.
	for _, cmd := range []string{"ENTRYPOINT", "CMD"} {
		a := args(final, cmd)
		var form []string
		if len(a) == 0 || json.Unmarshal([]byte(a[len(a)-1]), &form) != nil {
			t.Errorf("%s %v; want the JSON exec form", cmd, a)
		}
		if cmd == "ENTRYPOINT" && (len(form) == 0 || form[0] != "/incident-bridge") {
			t.Errorf("ENTRYPOINT %v; want [\"/incident-bridge\"]", form)
		}
	}
}

// TestDockerfileBakesInNoSecrets checks every stage: an ARG or ENV value
// ends up in the image's history or config even in a builder stage.
func TestDockerfileBakesInNoSecrets(t *testing.T) {
	t.Parallel()
	df := readDockerfile(t)
	check := func(where string, kvs []keyValue) {
		for _, kv := range kvs {
			if looksSecret(kv.Name) && kv.Value != "" {
				t.Errorf("%s %s has a value: credentials must come from the environment at run time", where, kv.Name)
			}
		}
	}
	check("global ARG", argValues(t, df.GlobalArgs))
	for i, s := range df.Stages {
		check("stage "+strconv.Itoa(i)+" ARG", stageVars(t, s, "ARG"))
		check("stage "+strconv.Itoa(i)+" ENV", stageVars(t, s, "ENV"))
		for _, in := range s.all("COPY") {
			if credentialFile.MatchString(in.Args) {
				t.Errorf("COPY at line %d copies what looks like credentials or a database: %s", in.Line, in.Args)
			}
		}
	}
}

func TestDockerignoreKeepsSecretsOut(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
		}
	}
	for _, want := range []string{".git", "**/*.db", "**/*.key", "**/.env"} {
		if !slices.Contains(patterns, want) {
			t.Errorf(".dockerignore lacks %q", want)
		}
	}
	for _, p := range patterns {
		if p == "go.mod" || p == "go.sum" || p == "*.go" || p == "internal" {
			t.Errorf(".dockerignore excludes %q, which the build needs", p)
		}
	}
}

// credentialFile matches COPY sources that look like credentials or a
// database.
var credentialFile = regexp.MustCompile(`(^|[\s/])\.env\b|\.db\b|\.key\b`)

func argValues(t *testing.T, ins []instruction) []keyValue {
	t.Helper()
	var out []keyValue
	for _, in := range ins {
		kvs, err := keyValues(in)
		if err != nil {
			t.Fatalf("Dockerfile %v", err)
		}
		out = append(out, kvs...)
	}
	return out
}

// args returns the arguments of every cmd instruction in the stage.
func args(s stage, cmd string) []string {
	var out []string
	for _, in := range s.all(cmd) {
		if strings.HasPrefix(in.Args, "[") {
			out = append(out, in.Args)
			continue
		}
		out = append(out, strings.Fields(in.Args)...)
	}
	return out
}

// goModVersion returns the go line of the app's go.mod.
func goModVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("go.mod has no go line")
	return ""
}

// compareVersions compares dotted numeric versions like 1.26 and 1.26.8.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
