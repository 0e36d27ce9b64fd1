// Package kubernetes holds zoomcti's Kubernetes manifests; its test decodes
// each document strictly into the Kubernetes API types, offline, and checks
// what a cluster would otherwise tell only at deploy time.
package kubernetes

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/zoomcti/zoomcti/deploy/image"
	"github.com/zoomcti/zoomcti/deploy/internal/repo"
)

// kustomization is the part of kustomize's Kustomization these files use;
// decoded strictly, so a key outside it fails the test.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace"`
	Resources  []string `json:"resources"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
}

// manifests are the decoded documents, by kind and name.
type manifests struct {
	deployments  map[string]*appsv1.Deployment
	statefulSets map[string]*appsv1.StatefulSet
	services     map[string]*corev1.Service
	secrets      map[string]*corev1.Secret
	configMaps   map[string]*corev1.ConfigMap
	pdbs         map[string]*policyv1.PodDisruptionBudget
	ingresses    map[string]*networkingv1.Ingress
	namespaces   map[string]*corev1.Namespace
	kustomize    *kustomization
	files        []string
}

// decode reads every YAML document of every file in dir into its API type
// with unknown and duplicate fields refused.
func decode(t *testing.T, dir string) *manifests {
	t.Helper()
	m := &manifests{
		deployments: map[string]*appsv1.Deployment{}, statefulSets: map[string]*appsv1.StatefulSet{},
		services: map[string]*corev1.Service{}, secrets: map[string]*corev1.Secret{}, configMaps: map[string]*corev1.ConfigMap{},
		pdbs: map[string]*policyv1.PodDisruptionBudget{}, ingresses: map[string]*networkingv1.Ingress{}, namespaces: map[string]*corev1.Namespace{},
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", dir, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
			if strings.TrimSpace(regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(doc, "")) == "" {
				continue
			}
			where := fmt.Sprintf("%s document %d", filepath.Base(f), i+1)
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if filepath.Base(f) == "kustomization.yaml" {
				m.kustomize = &kustomization{}
				strict(t, where, doc, m.kustomize)
				continue
			}
			m.files = append(m.files, filepath.Base(f))
			var name string
			switch tm.APIVersion + " " + tm.Kind {
			case "apps/v1 Deployment":
				name = add(t, where, doc, m.deployments, &appsv1.Deployment{})
			case "apps/v1 StatefulSet":
				name = add(t, where, doc, m.statefulSets, &appsv1.StatefulSet{})
			case "v1 Service":
				name = add(t, where, doc, m.services, &corev1.Service{})
			case "v1 Secret":
				name = add(t, where, doc, m.secrets, &corev1.Secret{})
			case "v1 ConfigMap":
				name = add(t, where, doc, m.configMaps, &corev1.ConfigMap{})
			case "v1 Namespace":
				name = add(t, where, doc, m.namespaces, &corev1.Namespace{})
			case "policy/v1 PodDisruptionBudget":
				name = add(t, where, doc, m.pdbs, &policyv1.PodDisruptionBudget{})
			case "networking.k8s.io/v1 Ingress":
				name = add(t, where, doc, m.ingresses, &networkingv1.Ingress{})
			default:
				t.Fatalf("%s: %s %s is not a type this test knows; add it", where, tm.APIVersion, tm.Kind)
			}
			if name == "" {
				t.Errorf("%s: no metadata.name", where)
			}
		}
	}
	return m
}

// strictDecode decodes doc into into as strictly as the API server reads a
// request: yaml.UnmarshalStrict refuses unknown fields and duplicate keys,
// but matches field names ignoring case, as encoding/json does; the API
// server does not (readOnlyRootFileSystem is dropped there), so the JSON is
// read again case-sensitively, as the API server reads it.
func strictDecode(doc string, into any) error {
	if err := yaml.UnmarshalStrict([]byte(doc), into); err != nil {
		return err
	}
	j, err := yaml.YAMLToJSONStrict([]byte(doc))
	if err != nil {
		return err
	}
	strictErrs, err := kjson.UnmarshalStrict(j, into, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	return errors.Join(strictErrs...)
}

// add decodes doc strictly into o and files it under its name.
func add[T interface{ GetName() string }](t *testing.T, where, doc string, into map[string]T, o T) string {
	t.Helper()
	strict(t, where, doc, o)
	into[o.GetName()] = o
	return o.GetName()
}

func strict(t *testing.T, where, doc string, into any) {
	t.Helper()
	if err := strictDecode(doc, into); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
}

func TestManifests(t *testing.T) {
	m := decode(t, ".")

	// kustomization.yaml lists every manifest, and only those.
	if m.kustomize == nil {
		t.Fatal("no kustomization.yaml")
	}
	files := slices.Compact(slices.Sorted(slices.Values(m.files)))
	if res := slices.Sorted(slices.Values(m.kustomize.Resources)); !slices.Equal(res, files) {
		t.Errorf("kustomization resources %q, manifests %q", res, files)
	}

	d := m.deployments["zoomcti"]
	if d == nil {
		t.Fatal("no zoomcti Deployment")
	}
	pod := d.Spec.Template.Spec
	podLabels := labels.Set(d.Spec.Template.Labels)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
		t.Errorf("replicas %s, want 3", show(d.Spec.Replicas))
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || !sel.Matches(podLabels) {
		t.Errorf("the Deployment's selector does not match its pods: %v", err)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	if !slices.ContainsFunc(m.kustomize.Images, func(i struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	}) bool {
		return i.Name == c.Image
	}) {
		t.Errorf("image %q is not set by kustomization.yaml's images", c.Image)
	}
	var port *corev1.ContainerPort
	for i := range c.Ports {
		if c.Ports[i].ContainerPort == 8080 {
			port = &c.Ports[i]
		}
	}
	if port == nil || port.Name == "" {
		t.Fatalf("no named container port 8080 (the image's): %+v", c.Ports)
	}

	// Probes: ready when the store answers, alive when the process does.
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"readiness", c.ReadinessProbe, "/readyz"}, {"liveness", c.LivenessProbe, "/healthz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path ||
			(p.probe.HTTPGet.Port != intstr.FromString(port.Name) && p.probe.HTTPGet.Port != intstr.FromInt32(port.ContainerPort)) {
			t.Errorf("%s probe %+v, want GET %s on the server's port", p.name, p.probe, p.path)
		}
	}
	routes, err := os.ReadFile("../../server/server.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/readyz", "/healthz"} {
		if !strings.Contains(string(routes), `"GET `+path+`"`) {
			t.Errorf("server/server.go serves no GET %s", path)
		}
	}

	// Resources.
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[r]; !ok {
			t.Errorf("no %s request", r)
		}
	}
	if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
		t.Error("no memory limit")
	}

	// Security: non-root, read-only, no capabilities, the default seccomp profile.
	psc, csc := pod.SecurityContext, c.SecurityContext
	if psc == nil || csc == nil {
		t.Fatal("no securityContext")
	}
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != image.UID {
		t.Errorf("pod runs as %s (runAsNonRoot %s), want the image's user %d", show(psc.RunAsUser), show(psc.RunAsNonRoot), image.UID)
	}
	if csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
		t.Error("the root filesystem is writable")
	}
	if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
		t.Error("privilege escalation allowed")
	}
	if csc.Capabilities == nil || !slices.Equal(csc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(csc.Capabilities.Add) > 0 {
		t.Errorf("capabilities %+v, want ALL dropped", csc.Capabilities)
	}
	for _, sp := range []*corev1.SeccompProfile{psc.SeccompProfile, csc.SeccompProfile} {
		if sp == nil || sp.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("seccomp %+v, want RuntimeDefault", sp)
		}
	}

	// Graceful termination: the grace period covers the preStop pause and
	// the server's own shutdown.
	budget, err := repo.ShutdownBudget("../..")
	if err != nil {
		t.Fatal(err)
	}
	var preStop time.Duration
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
		if c.Lifecycle.PreStop.Sleep == nil {
			t.Error("preStop is not a sleep action (the image has no shell to exec)")
		} else {
			preStop = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
		}
	}
	if g := pod.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second < budget+preStop {
		t.Errorf("terminationGracePeriodSeconds %s, want at least %v (preStop %v + shutdown %v)", show(g), (budget + preStop).Seconds(), preStop, budget)
	}

	// Configuration: every variable is the README's, and secrets come from
	// files of the Secret, never from a plain value.
	vars, err := repo.ConfigVars("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, vm := range c.VolumeMounts {
		mounts[vm.Name] = vm
	}
	secretFiles := map[string]bool{}
	for _, v := range pod.Volumes {
		if v.Secret == nil {
			continue
		}
		s := m.secrets[v.Secret.SecretName]
		if s == nil {
			t.Errorf("volume %s: no Secret %s", v.Name, v.Secret.SecretName)
			continue
		}
		vm, ok := mounts[v.Name]
		if !ok || !vm.ReadOnly {
			t.Errorf("volume %s is not mounted read-only", v.Name)
		}
		for k := range s.StringData {
			secretFiles[filepath.Join(vm.MountPath, k)] = true
		}
	}
	var names []string
	for _, e := range c.Env {
		names = append(names, e.Name)
		if strings.HasSuffix(e.Name, "_FILE") && !secretFiles[e.Value] {
			t.Errorf("%s=%s is no key of a mounted Secret", e.Name, e.Value)
		}
	}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef == nil || m.configMaps[ef.ConfigMapRef.Name] == nil {
			t.Errorf("envFrom %+v: want a ConfigMap of these manifests", ef)
			continue
		}
		for k := range m.configMaps[ef.ConfigMapRef.Name].Data {
			names = append(names, k)
		}
	}
	for _, n := range names {
		if !repo.Documented(vars, n) {
			t.Errorf("%s is not in the README's configuration table", n)
		}
		if regexp.MustCompile(`SECRET|KEY|TOKEN`).MatchString(n) && !strings.HasSuffix(n, "_FILE") {
			t.Errorf("%s is a plain value; use %s_FILE and the Secret", n, n)
		}
	}
	for path := range secretFiles {
		if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Value == path }) {
			t.Errorf("the Secret's %s is mounted but no variable names it", path)
		}
	}

	// The PodDisruptionBudget covers these pods and keeps most of them.
	pdb := m.pdbs["zoomcti"]
	if pdb == nil {
		t.Fatal("no PodDisruptionBudget")
	}
	if sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector); err != nil || sel.Empty() || !sel.Matches(podLabels) {
		t.Errorf("the PodDisruptionBudget's selector %v does not match the Deployment's pods %v", pdb.Spec.Selector, podLabels)
	}
	if pdb.Spec.MaxUnavailable == nil && pdb.Spec.MinAvailable == nil {
		t.Error("the PodDisruptionBudget allows every pod down")
	}

	// The Service reaches these pods on the server's port, and the Ingress
	// the Service.
	svc := m.services["zoomcti"]
	if svc == nil {
		t.Fatal("no zoomcti Service")
	}
	if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
		t.Errorf("the Service's selector %v does not match the Deployment's pods %v", svc.Spec.Selector, podLabels)
	}
	svcPorts := map[string]corev1.ServicePort{}
	for _, p := range svc.Spec.Ports {
		svcPorts[p.Name] = p
		if p.TargetPort != intstr.FromString(port.Name) && p.TargetPort != intstr.FromInt32(port.ContainerPort) {
			t.Errorf("the Service's port %s targets %v, not the server's", p.Name, p.TargetPort.String())
		}
	}
	ing := m.ingresses["zoomcti"]
	if ing == nil {
		t.Fatal("no Ingress")
	}
	if len(ing.Spec.TLS) == 0 {
		t.Error("the Ingress has no TLS: Salesforce and Zoom need https")
	}
	var backends int
	for _, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			backends++
			b := p.Backend.Service
			if b == nil || b.Name != svc.Name {
				t.Errorf("Ingress path %s goes to %+v, not the Service %s", p.Path, b, svc.Name)
				continue
			}
			if _, ok := svcPorts[b.Port.Name]; b.Port.Name != "" && !ok {
				t.Errorf("Ingress path %s names port %q, which the Service lacks", p.Path, b.Port.Name)
			}
			if b.Port.Name == "" && !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Port == b.Port.Number }) {
				t.Errorf("Ingress path %s names port %d, which the Service lacks", p.Path, b.Port.Number)
			}
		}
	}
	if backends == 0 {
		t.Error("the Ingress routes nothing")
	}
	// Websockets: ingress-nginx passes upgrades on, but closes a connection
	// quiet for its 60 s default read timeout.
	for _, a := range []string{"nginx.ingress.kubernetes.io/proxy-read-timeout", "nginx.ingress.kubernetes.io/proxy-send-timeout"} {
		if n, err := strconv.Atoi(ing.Annotations[a]); err != nil || n < 300 {
			t.Errorf("%s = %q, want several minutes at least (a quiet websocket)", a, ing.Annotations[a])
		}
	}
	checkWebhookIngress(t, m, ing)

	// Redis, for trying it out: persistent, and where ZOOMCTI_REDIS_URL says.
	rs := m.statefulSets["redis"]
	if rs == nil {
		t.Fatal("no redis StatefulSet")
	}
	if len(rs.Spec.VolumeClaimTemplates) == 0 {
		t.Error("redis has no persistent volume claim")
	}
	if args := strings.Join(rs.Spec.Template.Spec.Containers[0].Args, " "); !strings.Contains(args, "--appendonly yes") {
		t.Errorf("redis runs with %q: want --appendonly yes", args)
	}
	rsvc := m.services[rs.Spec.ServiceName]
	if rsvc == nil || !labels.SelectorFromSet(rsvc.Spec.Selector).Matches(labels.Set(rs.Spec.Template.Labels)) {
		t.Errorf("no Service %q selecting the redis pods", rs.Spec.ServiceName)
	}
	for _, e := range c.Env {
		if e.Name == "ZOOMCTI_REDIS_URL" && !strings.HasPrefix(e.Value, "redis://"+rs.Spec.ServiceName+":6379/") {
			t.Errorf("ZOOMCTI_REDIS_URL=%s is not the redis Service", e.Value)
		}
	}
	for _, ss := range m.statefulSets {
		for _, ct := range ss.Spec.Template.Spec.Containers {
			if ct.SecurityContext == nil || ct.SecurityContext.ReadOnlyRootFilesystem == nil || !*ct.SecurityContext.ReadOnlyRootFilesystem {
				t.Errorf("%s/%s: the root filesystem is writable", ss.Name, ct.Name)
			}
		}
	}
}

// TestStrictDecodingRefusesUnknownFields: a misspelt field fails the
// decoding above instead of being dropped, as a cluster would drop it, and
// so does a field in the wrong case.
func TestStrictDecodingRefusesUnknownFields(t *testing.T) {
	b, err := os.ReadFile("deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"readOnlyRootFS:", "readOnlyRootFileSystem:"} {
		t.Run(bad, func(t *testing.T) {
			doc := bytes.Replace(b, []byte("readOnlyRootFilesystem:"), []byte(bad), 1)
			if bytes.Equal(b, doc) {
				t.Fatal("deployment.yaml has no readOnlyRootFilesystem")
			}
			err := strictDecode(string(doc), &appsv1.Deployment{})
			if err == nil || !strings.Contains(err.Error(), strings.TrimSuffix(bad, ":")) {
				t.Fatalf("%s decoded: %v", bad, err)
			}
		})
	}
}

// show prints what p points to, or "unset".
func show[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

// nextUpstream is what ingress-nginx's proxy-next-upstream annotation
// takes (its annotation validator's pattern): any other value is refused
// and the Ingress ignored.
var nextUpstream = regexp.MustCompile(`^((error|timeout|invalid_header|http_500|http_502|http_503|http_504|http_403|http_404|http_429|non_idempotent|off)\s?)+$`)

// checkWebhookIngress: Zoom's webhooks have an Ingress of their own, on the
// main one's host and TLS, that passes a webhook a dying pod held to
// another pod (non_idempotent, within Zoom's 3 s) and lets bodies up to
// zoomcti's 1 MiB through; no other path gets non_idempotent.
func checkWebhookIngress(t *testing.T, m *manifests, main *networkingv1.Ingress) {
	t.Helper()
	const next = "nginx.ingress.kubernetes.io/proxy-next-upstream"
	if strings.Contains(main.Annotations[next], "non_idempotent") {
		t.Errorf("the Ingress %s retries every POST on another pod (%s = %q): only webhooks are idempotent", main.Name, next, main.Annotations[next])
	}
	wh := m.ingresses["zoomcti-webhooks"]
	if wh == nil {
		t.Fatal("no zoomcti-webhooks Ingress")
	}
	if v := wh.Annotations[next]; !nextUpstream.MatchString(v) || !strings.Contains(v, "non_idempotent") || !strings.Contains(v, "error") {
		t.Errorf("%s = %q on the webhooks' Ingress: want error and non_idempotent, in a value ingress-nginx takes", next, v)
	}
	if n, err := strconv.Atoi(wh.Annotations[next+"-timeout"]); err != nil || n < 1 || n > 2 {
		t.Errorf("%s-timeout = %q: want 1 or 2 s, within Zoom's 3", next, wh.Annotations[next+"-timeout"])
	}
	if wh.Annotations["nginx.ingress.kubernetes.io/proxy-body-size"] != main.Annotations["nginx.ingress.kubernetes.io/proxy-body-size"] {
		t.Errorf("the webhooks' Ingress lets bodies of %q through, the main one %q", wh.Annotations["nginx.ingress.kubernetes.io/proxy-body-size"], main.Annotations["nginx.ingress.kubernetes.io/proxy-body-size"])
	}
	if !reflect.DeepEqual(wh.Spec.TLS, main.Spec.TLS) || wh.Spec.IngressClassName == nil || main.Spec.IngressClassName == nil || *wh.Spec.IngressClassName != *main.Spec.IngressClassName {
		t.Errorf("the webhooks' Ingress has TLS %+v and class %v, the main one %+v and %v", wh.Spec.TLS, wh.Spec.IngressClassName, main.Spec.TLS, main.Spec.IngressClassName)
	}
	var paths []string
	for _, r := range wh.Spec.Rules {
		if len(main.Spec.Rules) == 0 || r.Host != main.Spec.Rules[0].Host || r.HTTP == nil {
			t.Errorf("the webhooks' Ingress has a rule for host %q, not the main one's", r.Host)
			continue
		}
		for _, p := range r.HTTP.Paths {
			paths = append(paths, p.Path)
			if p.PathType == nil || *p.PathType != networkingv1.PathTypeExact || p.Path != "/webhooks/zoom" {
				t.Errorf("the webhooks' Ingress routes %s (%v): want only /webhooks/zoom, Exact", p.Path, p.PathType)
			}
			if b := p.Backend.Service; b == nil || b.Name != "zoomcti" {
				t.Errorf("the webhooks' Ingress sends %s to %+v, not the zoomcti Service", p.Path, b)
			}
		}
	}
	if len(paths) != 1 {
		t.Errorf("the webhooks' Ingress routes %v: want /webhooks/zoom alone", paths)
	}
}
