package check

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// checkPodSecurity checks what the namespace's "restricted" Pod Security
// Standard and the image demand, and resource requests and limits, for
// every container of a pod.
func checkPodSecurity(t *testing.T, what string, pod corev1.PodSpec) {
	t.Helper()
	ps := pod.SecurityContext
	if ps == nil {
		t.Errorf("%s: no pod securityContext", what)
		return
	}
	isTrue := func(b *bool) bool { return b != nil && *b }
	isFalse := func(b *bool) bool { return b != nil && !*b }
	is := func(p *int64, v int64) bool { return p != nil && *p == v }
	facts := []struct {
		what string
		ok   bool
	}{
		{"pod runAsNonRoot", isTrue(ps.RunAsNonRoot)},
		{"pod runAsUser 65532", is(ps.RunAsUser, nonRootUID)},
		{"pod fsGroup 65532", is(ps.FSGroup, nonRootUID)},
		{"pod seccompProfile RuntimeDefault", ps.SeccompProfile != nil && ps.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault},
		{"no service account token", isFalse(pod.AutomountServiceAccountToken)},
		{"no host namespaces", !pod.HostNetwork && !pod.HostPID && !pod.HostIPC},
	}
	if len(pod.Containers) == 0 || len(pod.InitContainers) != 0 {
		t.Errorf("%s: want only regular containers, have %d and %d init containers", what, len(pod.Containers), len(pod.InitContainers))
	}
	for _, c := range pod.Containers {
		cs := c.SecurityContext
		if cs == nil {
			t.Errorf("%s: container %s has no securityContext", what, c.Name)
			continue
		}
		facts = append(facts, []struct {
			what string
			ok   bool
		}{
			{c.Name + " runAsNonRoot", isTrue(cs.RunAsNonRoot)},
			{c.Name + " runAsUser 65532", cs.RunAsUser == nil || is(cs.RunAsUser, nonRootUID)},
			{c.Name + " readOnlyRootFilesystem", isTrue(cs.ReadOnlyRootFilesystem)},
			{c.Name + " allowPrivilegeEscalation false", isFalse(cs.AllowPrivilegeEscalation)},
			{c.Name + " not privileged", cs.Privileged == nil || !*cs.Privileged},
			{c.Name + " drops ALL capabilities", cs.Capabilities != nil && slices.Contains(cs.Capabilities.Drop, "ALL")},
			{c.Name + " adds no capabilities", cs.Capabilities == nil || len(cs.Capabilities.Add) == 0},
		}...)
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			req, okReq := c.Resources.Requests[res]
			lim, okLim := c.Resources.Limits[res]
			switch {
			case !okReq || !okLim:
				t.Errorf("%s: container %s %s: want both a request and a limit", what, c.Name, res)
			case req.Cmp(lim) > 0:
				t.Errorf("%s: container %s %s request %s exceeds its limit %s", what, c.Name, res, req.String(), lim.String())
			}
		}
	}
	for _, f := range facts {
		if !f.ok {
			t.Errorf("%s: want %s", what, f.what)
		}
	}
}

// checkDataVolume checks that the pod mounts the PVC pvc read-write at
// /data in container c.
func checkDataVolume(t *testing.T, what string, pod corev1.PodSpec, c corev1.Container, pvc string) {
	t.Helper()
	var dataVolume string
	for _, v := range pod.Volumes {
		if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == pvc {
			dataVolume = v.Name
		}
	}
	if dataVolume == "" {
		t.Errorf("%s: no pod volume uses the PVC %s", what, pvc)
		return
	}
	var mounted bool
	for _, m := range c.VolumeMounts {
		if m.Name == dataVolume {
			mounted = m.MountPath == "/data" && !m.ReadOnly && m.SubPath == ""
		}
	}
	if !mounted {
		t.Errorf("%s: PVC volume %s is not mounted read-write at /data: %+v", what, dataVolume, c.VolumeMounts)
	}
}
