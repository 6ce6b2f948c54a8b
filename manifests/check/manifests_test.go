package check

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/types"
)

const (
	// appShutdownBound is the app's own bound, after SIGTERM, for finishing
	// work in flight; the grace period must be longer.
	appShutdownBound = 20
	// nonRootUID is distroless's "nonroot" user, also the Dockerfile's USER.
	nonRootUID = 65532
	// secretName is the Secret the operator creates from the template.
	secretName = "incident-bridge"
	// placeholder is the only non-empty value the Secret template may hold.
	placeholder = "REPLACE_ME"
)

// secretKeys are the credentials the Secret template lists.
var secretKeys = []string{
	"ENCRYPTION_KEY", "SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "ZOOM_ACCOUNT_ID",
	"ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET", "ZOOM_WEBHOOK_SECRET_TOKEN",
}

// deployment returns the only Deployment and its only container.
func deployment(t *testing.T, o objects) (appsv1.Deployment, corev1.Container) {
	t.Helper()
	d := one(t, "Deployment", o.Deployments)
	return d, one(t, "container", d.Spec.Template.Spec.Containers)
}

// httpPort returns the container's port named "http".
func httpPort(t *testing.T, c corev1.Container) corev1.ContainerPort {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == "http" {
			return p
		}
	}
	t.Fatalf("container %s has no port named http: %+v", c.Name, c.Ports)
	return corev1.ContainerPort{}
}

// show prints an optional number for a test message.
func show[T int32 | int64](p *T) string {
	if p == nil {
		return "unset"
	}
	return strconv.FormatInt(int64(*p), 10)
}

// resolve turns a probe's or Service's target port into a number, looking
// names up among the container's ports.
func resolve(c corev1.Container, p intstr.IntOrString) int32 {
	if p.Type == intstr.Int {
		return p.IntVal
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort
		}
	}
	return -1
}

func TestKustomizationListsEveryManifest(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(manifestsDir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k types.Kustomization
	if err := strictYAML(data, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	files, err := filepath.Glob(filepath.Join(manifestsDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		switch {
		case name == "kustomization.yaml":
		case name == "secret.example.yaml":
			// Never applied by kustomize: it would overwrite the real Secret.
			if slices.Contains(k.Resources, name) {
				t.Errorf("kustomization.yaml applies %s: `kubectl apply -k` would overwrite the real credentials with placeholders", name)
			}
		default:
			if !slices.Contains(k.Resources, name) {
				t.Errorf("%s is not in kustomization.yaml's resources", name)
			}
			readObject(t, name) // strict, with duplicate keys refused
		}
	}
}

func TestBuildHasTheExpectedObjects(t *testing.T) {
	t.Parallel()
	o := build(t)
	ns := one(t, "Namespace", o.Namespaces)
	if got := ns.Labels["pod-security.kubernetes.io/enforce"]; got != "restricted" {
		t.Errorf("namespace enforces Pod Security %q, want restricted", got)
	}
	one(t, "ConfigMap", o.ConfigMaps)
	one(t, "PersistentVolumeClaim", o.PVCs)
	one(t, "Service", o.Services)
	one(t, "Deployment", o.Deployments)
	if len(o.Secrets) != 0 {
		t.Errorf("the build emits %d Secrets; credentials must come from the Secret the operator creates", len(o.Secrets))
	}
	for _, m := range []struct{ kind, name, ns string }{
		{"ConfigMap", o.ConfigMaps[0].Name, o.ConfigMaps[0].Namespace},
		{"PersistentVolumeClaim", o.PVCs[0].Name, o.PVCs[0].Namespace},
		{"Service", o.Services[0].Name, o.Services[0].Namespace},
		{"Deployment", o.Deployments[0].Name, o.Deployments[0].Namespace},
	} {
		if m.ns != ns.Name {
			t.Errorf("%s %s is in namespace %q, want %q", m.kind, m.name, m.ns, ns.Name)
		}
	}
}

func TestDeploymentRunsOneWriter(t *testing.T) {
	t.Parallel()
	d, _ := deployment(t, build(t))
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("replicas = %s, want 1: bbolt allows one writer", show(d.Spec.Replicas))
	}
	if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("strategy = %q, want Recreate: a rolling update would run two pods on one database", d.Spec.Strategy.Type)
	}
	if d.Spec.Strategy.RollingUpdate != nil {
		t.Errorf("strategy has rollingUpdate settings: %+v", d.Spec.Strategy.RollingUpdate)
	}
	g := d.Spec.Template.Spec.TerminationGracePeriodSeconds
	if g == nil || *g <= appShutdownBound {
		t.Errorf("terminationGracePeriodSeconds = %s, want more than the app's %d s shutdown bound", show(g), appShutdownBound)
	}
}

func TestDeploymentProbesAndPorts(t *testing.T) {
	t.Parallel()
	o := build(t)
	d, c := deployment(t, o)
	port := httpPort(t, c)

	_, addrPort, err := net.SplitHostPort(one(t, "ConfigMap", o.ConfigMaps).Data["HTTP_ADDR"])
	if err != nil {
		t.Fatalf("ConfigMap HTTP_ADDR: %v", err)
	}
	if strconv.Itoa(int(port.ContainerPort)) != addrPort {
		t.Errorf("containerPort %d, but the app listens on HTTP_ADDR port %s", port.ContainerPort, addrPort)
	}

	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"livenessProbe", c.LivenessProbe, "/healthz"},
		{"readinessProbe", c.ReadinessProbe, "/readyz"},
		{"startupProbe", c.StartupProbe, "/healthz"},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s: want an httpGet probe on %s", p.name, p.path)
			continue
		}
		if got := p.probe.HTTPGet.Path; got != p.path {
			t.Errorf("%s path = %q, want %q", p.name, got, p.path)
		}
		if got := resolve(c, p.probe.HTTPGet.Port); got != port.ContainerPort {
			t.Errorf("%s port %s resolves to %d, want the container port %d", p.name, p.probe.HTTPGet.Port.String(), got, port.ContainerPort)
		}
	}

	ann := d.Spec.Template.Annotations
	want := map[string]string{
		"prometheus.io/scrape": "true",
		"prometheus.io/port":   strconv.Itoa(int(port.ContainerPort)),
		"prometheus.io/path":   "/metrics",
	}
	for k, v := range want {
		if ann[k] != v {
			t.Errorf("pod annotation %s = %q, want %q", k, ann[k], v)
		}
	}

	svc := one(t, "Service", o.Services)
	sp := one(t, "Service port", svc.Spec.Ports)
	if got := resolve(c, sp.TargetPort); got != port.ContainerPort {
		t.Errorf("Service targetPort %s resolves to %d, want %d", sp.TargetPort.String(), got, port.ContainerPort)
	}
	labels := d.Spec.Template.Labels
	if len(svc.Spec.Selector) == 0 {
		t.Error("Service has no selector")
	}
	for k, v := range svc.Spec.Selector {
		if labels[k] != v {
			t.Errorf("Service selects %s=%s, the pod has %q", k, v, labels[k])
		}
	}
	for k, v := range d.Spec.Selector.MatchLabels {
		if labels[k] != v {
			t.Errorf("Deployment selects %s=%s, its pod template has %q", k, v, labels[k])
		}
	}
}

func TestDeploymentSecurity(t *testing.T) {
	t.Parallel()
	d, _ := deployment(t, build(t))
	checkPodSecurity(t, "Deployment", d.Spec.Template.Spec)
}

func TestDeploymentStorage(t *testing.T) {
	t.Parallel()
	o := build(t)
	d, c := deployment(t, o)
	pvc := one(t, "PersistentVolumeClaim", o.PVCs)
	if !slices.Equal(pvc.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}) {
		t.Errorf("PVC access modes %v, want [ReadWriteOnce]", pvc.Spec.AccessModes)
	}
	if _, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; !ok {
		t.Error("PVC requests no storage")
	}

	checkDataVolume(t, "Deployment", d.Spec.Template.Spec, c, pvc.Name)

	// The root filesystem is read-only: whatever the app writes must be
	// under /data.
	cm := one(t, "ConfigMap", o.ConfigMaps).Data
	for _, k := range []string{"DB_PATH", "BACKUP_DIR"} {
		if !strings.HasPrefix(cm[k], "/data/") {
			t.Errorf("ConfigMap %s = %q, want a path under /data (the only writable mount)", k, cm[k])
		}
	}
}

func TestDeploymentEnvironment(t *testing.T) {
	t.Parallel()
	o := build(t)
	_, c := deployment(t, o)
	cm := one(t, "ConfigMap", o.ConfigMaps)
	var fromCM, fromSecret bool
	for _, e := range c.EnvFrom {
		switch {
		case e.ConfigMapRef != nil && e.ConfigMapRef.Name == cm.Name:
			fromCM = true
		case e.SecretRef != nil && e.SecretRef.Name == secretName:
			fromSecret = true
			if e.SecretRef.Optional != nil && *e.SecretRef.Optional {
				t.Error("the Secret is optional: the app would start without credentials")
			}
		}
	}
	if !fromCM || !fromSecret {
		t.Errorf("envFrom = %+v; want the ConfigMap %s and the Secret %s", c.EnvFrom, cm.Name, secretName)
	}
	for _, e := range c.Env {
		if e.Value != "" && looksSecret(e.Name) {
			t.Errorf("env %s has a literal value in the Deployment; credentials belong in the Secret", e.Name)
		}
	}

	known := appVariables(t)
	for k := range cm.Data {
		if !known[k] {
			t.Errorf("ConfigMap key %s is not a variable the app reads (internal/config)", k)
		}
		if slices.Contains(secretKeys, k) || looksSecret(k) {
			t.Errorf("ConfigMap holds %s, a credential: move it to the Secret", k)
		}
	}
	for _, k := range secretKeys {
		if !known[k] {
			t.Errorf("Secret key %s is not a variable the app reads (internal/config)", k)
		}
	}
}

func TestSecretTemplateHasOnlyPlaceholders(t *testing.T) {
	t.Parallel()
	s := one(t, "Secret", readObject(t, "secret.example.yaml").Secrets)
	if s.Name != secretName {
		t.Errorf("template Secret is named %q, the Deployment reads %q", s.Name, secretName)
	}
	if ns := one(t, "Namespace", build(t).Namespaces).Name; s.Namespace != ns {
		t.Errorf("template Secret is in namespace %q, the app in %q", s.Namespace, ns)
	}
	if len(s.Data) != 0 {
		t.Errorf("template has base64 data %v: use stringData placeholders only", slices.Sorted(maps.Keys(s.Data)))
	}
	if got := slices.Sorted(maps.Keys(s.StringData)); !slices.Equal(got, secretKeys) {
		t.Errorf("template keys %v, want %v", got, secretKeys)
	}
	for k, v := range s.StringData {
		if v != placeholder && v != "" {
			t.Errorf("template %s has a value that is not the placeholder %s", k, placeholder)
		}
	}
}

// secretish matches names of variables that hold credentials.
var secretish = regexp.MustCompile(`(?i)(TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|(^|_)KEY($|_))`)

func looksSecret(name string) bool { return secretish.MatchString(name) }

// appVariables returns the environment variables the app reads: the env*
// string constants of internal/config/variables.go. Parsing the source
// keeps this module independent of the app's module and its dependencies.
func appVariables(t *testing.T) map[string]bool {
	t.Helper()
	path := filepath.Join(manifestsDir, "..", "internal", "config", "variables.go")
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	vars := make(map[string]bool)
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if !strings.HasPrefix(name.Name, "env") || i >= len(vs.Values) {
				continue
			}
			if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if v, err := strconv.Unquote(lit.Value); err == nil {
					vars[v] = true
				}
			}
		}
		return true
	})
	if len(vars) < 10 {
		t.Fatalf("found only %d variables in %s; has its layout changed?", len(vars), path)
	}
	return vars
}
