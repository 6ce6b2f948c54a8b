package check

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// rawImage is the image name deployment.yaml uses before kustomize's
// images transformer replaces it; the tools use the same placeholder so the
// guide's one sed line gives them the Deployment's image.
const rawImage = "incident-bridge"

func TestDeploymentImageIsReplaced(t *testing.T) {
	t.Parallel()
	_, raw := deployment(t, readObject(t, "deployment.yaml"))
	if raw.Image != rawImage {
		t.Errorf("deployment.yaml image %q, want the placeholder %q", raw.Image, rawImage)
	}
	_, built := deployment(t, build(t))
	if built.Image == rawImage {
		t.Errorf("kustomization.yaml's images entry does not match the Deployment's image %q", rawImage)
	}
}

func TestToolboxPod(t *testing.T) {
	t.Parallel()
	o := build(t)
	ns := one(t, "Namespace", o.Namespaces).Name
	pvc := one(t, "PersistentVolumeClaim", o.PVCs).Name
	p := one(t, "Pod", readObject(t, "tools/toolbox.yaml").Pods)
	if p.Namespace != ns {
		t.Errorf("toolbox in namespace %q, want %q", p.Namespace, ns)
	}
	if p.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("toolbox restartPolicy %q, want Never", p.Spec.RestartPolicy)
	}
	c := one(t, "toolbox container", p.Spec.Containers)
	checkPodSecurity(t, "toolbox", p.Spec)
	checkDataVolume(t, "toolbox", p.Spec, c, pvc)
	if a := p.Spec.Affinity; a == nil || a.PodAffinity == nil || len(a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution) == 0 {
		t.Error("toolbox has no preferred affinity to the app's node (the volume is ReadWriteOnce)")
	}
}

func TestRekeyJob(t *testing.T) {
	t.Parallel()
	o := build(t)
	ns := one(t, "Namespace", o.Namespaces).Name
	pvc := one(t, "PersistentVolumeClaim", o.PVCs).Name
	cm := one(t, "ConfigMap", o.ConfigMaps).Name
	j := one(t, "Job", readObject(t, "tools/rekey-job.yaml").Jobs)
	if j.Namespace != ns {
		t.Errorf("rekey Job in namespace %q, want %q", j.Namespace, ns)
	}
	if j.Spec.BackoffLimit == nil || *j.Spec.BackoffLimit != 0 {
		t.Errorf("rekey backoffLimit %s, want 0: a failed rekey needs a person, not a retry", show(j.Spec.BackoffLimit))
	}
	pod := j.Spec.Template.Spec
	c := one(t, "rekey container", pod.Containers)
	checkPodSecurity(t, "rekey Job", pod)
	checkDataVolume(t, "rekey Job", pod, c, pvc)
	if c.Image != rawImage {
		t.Errorf("rekey image %q, want the placeholder %q", c.Image, rawImage)
	}
	if !slices.Equal(c.Args, []string{"rekey"}) || len(c.Command) != 0 {
		t.Errorf("rekey runs command %v args %v, want the image's entrypoint with [rekey]", c.Command, c.Args)
	}
	var fromCM, fromSecret bool
	for _, e := range c.EnvFrom {
		fromCM = fromCM || (e.ConfigMapRef != nil && e.ConfigMapRef.Name == cm)
		fromSecret = fromSecret || (e.SecretRef != nil && e.SecretRef.Name == secretName)
	}
	if !fromCM || !fromSecret {
		t.Errorf("rekey envFrom %+v; want the app's ConfigMap and Secret (DB_PATH, ENCRYPTION_KEY)", c.EnvFrom)
	}
	var newKey *corev1.EnvVar
	for i, e := range c.Env {
		if e.Name == "NEW_ENCRYPTION_KEY" {
			newKey = &c.Env[i]
		}
	}
	if newKey == nil || newKey.Value != "" || newKey.ValueFrom == nil || newKey.ValueFrom.SecretKeyRef == nil ||
		newKey.ValueFrom.SecretKeyRef.Name == secretName {
		t.Errorf("NEW_ENCRYPTION_KEY = %+v; want it from its own Secret, not a literal or the app's Secret", newKey)
	}
	if !appVariables(t)["NEW_ENCRYPTION_KEY"] {
		t.Error("the app reads no NEW_ENCRYPTION_KEY (internal/config)")
	}
}
