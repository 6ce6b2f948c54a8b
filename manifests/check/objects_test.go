package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// manifestsDir is manifests/, relative to this package.
const manifestsDir = ".."

// objects is a set of Kubernetes objects, decoded into their API types.
type objects struct {
	Namespaces  []corev1.Namespace
	ConfigMaps  []corev1.ConfigMap
	Secrets     []corev1.Secret
	PVCs        []corev1.PersistentVolumeClaim
	Services    []corev1.Service
	Deployments []appsv1.Deployment
	Pods        []corev1.Pod
	Jobs        []batchv1.Job
}

// add decodes one object with strict (unknown fields and, for YAML,
// duplicate keys are errors) and files it by kind. A kind the checks do
// not know is an error, so that a new resource gets checks too.
func (o *objects) add(data []byte, strict func([]byte, any) error) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(data, &tm); err != nil {
		return fmt.Errorf("read apiVersion and kind: %w", err)
	}
	var err error
	switch gvk := tm.APIVersion + "/" + tm.Kind; gvk {
	case "v1/Namespace":
		o.Namespaces, err = decodeAppend(o.Namespaces, data, strict)
	case "v1/ConfigMap":
		o.ConfigMaps, err = decodeAppend(o.ConfigMaps, data, strict)
	case "v1/Secret":
		o.Secrets, err = decodeAppend(o.Secrets, data, strict)
	case "v1/PersistentVolumeClaim":
		o.PVCs, err = decodeAppend(o.PVCs, data, strict)
	case "v1/Service":
		o.Services, err = decodeAppend(o.Services, data, strict)
	case "apps/v1/Deployment":
		o.Deployments, err = decodeAppend(o.Deployments, data, strict)
	case "v1/Pod":
		o.Pods, err = decodeAppend(o.Pods, data, strict)
	case "batch/v1/Job":
		o.Jobs, err = decodeAppend(o.Jobs, data, strict)
	default:
		return fmt.Errorf("%s: no check knows this kind; add it to objects", gvk)
	}
	if err != nil {
		return fmt.Errorf("decode %s %s: %w", tm.APIVersion, tm.Kind, err)
	}
	return nil
}

func decodeAppend[T any](list []T, data []byte, strict func([]byte, any) error) ([]T, error) {
	var v T
	if err := strict(data, &v); err != nil {
		return list, err
	}
	return append(list, v), nil
}

// strictJSON decodes JSON, refusing unknown fields and trailing data.
func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the object")
	}
	return nil
}

// strictYAML decodes YAML, refusing unknown fields and duplicate keys.
func strictYAML(data []byte, v any) error { return yaml.UnmarshalStrict(data, v) }

// build runs the kustomization in manifests/ in-process, as `kubectl
// apply -k manifests/` would, and decodes every object it emits strictly.
func build(t *testing.T) objects {
	t.Helper()
	dir, err := filepath.Abs(manifestsDir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var o objects
	for _, r := range m.Resources() {
		js, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("%s: marshal: %v", r.CurId(), err)
		}
		if err := o.add(js, strictJSON); err != nil {
			t.Errorf("%s: %v", r.CurId(), err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return o
}

// readObject decodes one manifest file (a path under manifests/) strictly.
func readObject(t *testing.T, name string) objects {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(manifestsDir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	var o objects
	if err := o.add(data, strictYAML); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return o
}

// one returns the only element of list, failing the test otherwise.
func one[T any](t *testing.T, what string, list []T) T {
	t.Helper()
	if len(list) != 1 {
		t.Fatalf("want exactly one %s, got %d", what, len(list))
	}
	return list[0]
}
