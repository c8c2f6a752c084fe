#!/usr/bin/env python3
"""CI check of the Helm chart charts/partnerline, without a cluster and without the helm binary.

    python3 deploy/chart-check/check.py        (needs requirements.txt installed; run.sh does that)

1. lints the chart (Helm's own linter, strict) with the default values and with
   ci/production-values.yaml, for the oldest and newest Kubernetes versions supported;
2. renders both with the real Helm engine (helm-python-sdk: Helm's Go SDK through ctypes);
3. validates every rendered object strictly against the OpenAPI schemas of Kubernetes 1.28 and
   1.37 (kubernetes-validate). ServiceMonitor, a CRD of the Prometheus Operator, has no built-in
   schema: it is skipped there by kind, and checked by the assertions below instead;
4. asserts what the chart promises, over the rendered objects as dicts: probes, resources,
   restricted security contexts, a PDB, HPA and NetworkPolicy per Deployment, gRPC admitted only
   from the callers of each service, no Secret rendered, the migrations hook Job, selectors;
5. renders the chart once more with an eighth service added (one services.yaml entry plus one
   values block) and asserts the same of it;
6. renders each ci/bad-*.yaml and asserts it is refused, with the message its `# expect:` names.

Prints each failure with the object and the field, a summary, and exits 1 on any failure.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os
import re
import shutil
import sys
import tempfile
import time
import tomllib
from collections import defaultdict
from pathlib import Path

try:
    import helm_python as helm
    import jsonschema
    import kubernetes_validate
    import kubernetes_validate.utils as kv_utils
    import yaml
    from referencing import Registry, Resource
except ImportError as e:  # pragma: no cover - environment problem, not a chart problem
    sys.exit(f"chart-check: {e}. Install deploy/chart-check/requirements.txt first "
             f"(bash deploy/chart-check/run.sh does it in a cached venv).")

HERE = Path(__file__).resolve().parent
CHART = HERE.parent.parent / "charts" / "partnerline"

# The oldest and newest Kubernetes versions the chart claims (Chart.yaml kubeVersion: >=1.28).
KUBE_VERSIONS = ("1.28", "1.37")
# Kinds kubernetes-validate has no schema for (CRDs): skipped there, asserted below.
CRD_KINDS = {"ServiceMonitor"}

# Facts of the software, written here independently of the chart's services.yaml, which they
# check: who calls whom over gRPC, and the ports.
CALLS = {
    "identity": [],
    "customers": ["identity"],
    "orders": ["identity", "customers"],
    "attribution": ["customers"],
    "commissions": ["orders"],
    "notifications": [],
    "gateway": ["identity", "customers", "orders", "attribution", "commissions", "notifications"],
}
PORTS = {"identity": 50051, "customers": 50052, "orders": 50053, "attribution": 50054,
         "commissions": 50055, "notifications": 50056, "gateway": 8080}
PUBLIC = {"gateway"}
ADMIN_PORT = 9090
# Production: these run at least two pods.
HA_SERVICES = {"orders", "attribution", "commissions", "gateway"}
# Which service alone may hold which secret file (PARTNERLINE_<KEY>_FILE).
SECRET_FILES = {
    "PARTNERLINE_AUTH__SIGNING_KEY_FILE": "identity",
    "PARTNERLINE_GATEWAY__IP_HASH_SALT_FILE": "gateway",
}
SECRETISH = re.compile(r"SIGNING_KEY$|SALT|WEBHOOK_SECRETS|PASSWORD|TOKEN|DATABASE__URL|NATS__URL")

# An eighth service, added the way values.yaml says (step 5).
NEW_SERVICE = ("loyalty", 50057, ["identity"])


# --------------------------------------------------------------------------------------------
# Reporting

class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failures: list[str] = []
        self.context = ""

    def check(self, cond: bool, where: str, field: str, msg: str) -> bool:
        if cond:
            self.passed += 1
            return True
        line = f"FAIL [{self.context}] {where}: {field}: {msg}"
        self.failures.append(line)
        print(line)
        return False

    def eq(self, got, want, where: str, field: str) -> bool:
        return self.check(got == want, where, field, f"want {want!r}, got {got!r}")


R = Report()


@contextlib.contextmanager
def captured_stderr(sink: list[str]):
    """The Go library logs to file descriptor 2 (e.g. lint's template `fail`s): capture it."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            sink.append(tmp.read().decode("utf-8", "replace"))


def load_values(path: Path) -> dict:
    """A values file as `helm -f` reads it (Helm's own YAML parser)."""
    return helm.values_from_yaml(path.read_text())


# --------------------------------------------------------------------------------------------
# Lint, render, Kubernetes schemas

def lint(chart: Path, values: dict | None, label: str) -> None:
    for kube in KUBE_VERSIONS:
        logs: list[str] = []
        with captured_stderr(logs):
            report = helm.lint(str(chart), values, strict=True, kube_version=f"v{kube}.0")
        where = f"helm lint ({label}, k8s {kube})"
        for m in report.get("messages", []):
            # strict: warnings count; 1 (info, e.g. "icon is recommended") does not.
            R.check(m["severity"] < 2, where, m.get("path", "?"), m["error"].strip())
        for e in report.get("errors", []):
            if not any(e.strip() == m["error"].strip() for m in report.get("messages", [])):
                R.check(False, where, "error", e.strip())
        # Lint runs templates in "lint mode", where a template's `fail` is only logged.
        for line in "".join(logs).splitlines():
            R.check("fail message=" not in line, where, "template fail", line.strip())
        R.check(True, where, "ok", "")


def render(chart: Path, values: dict | None, release: str, namespace: str):
    """(objects, notes): every rendered object as a dict, with the template it came from."""
    logs: list[str] = []
    with captured_stderr(logs):
        out = helm.Chart.load(str(chart)).render(values, name=release, namespace=namespace,
                                                  is_install=True)
    objects, notes = [], ""
    for path, text in sorted(out.items()):
        if path.endswith("NOTES.txt"):
            notes = text
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                doc["__template"] = path
                objects.append(doc)
    return objects, notes


def merged_values(chart: Path, values: dict | None) -> dict:
    with helm.Chart.load(str(chart)) as c:
        return c.merge_values(values)


_validators: dict = {}


def k8s_validator(version: str, kind: str, api_version: str):
    """A strict validator for one kind, listing every error (kubernetes_validate.validate stops
    at the first). Same schema files and lookup as kubernetes-validate itself."""
    key = (version, kind, api_version)
    if key not in _validators:
        group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
        schema_dir = f"kubernetes-json-schema/v{version}.0-local-strict"
        try:
            schema = kv_utils.schema_contents(f"{schema_dir}/{kind.lower()}-{group}.json", version)
        except FileNotFoundError:
            _validators[key] = None
            return None
        defs = kv_utils.schema_contents(f"{schema_dir}/_definitions.json", version)
        registry = Resource.from_contents(defs) @ (Resource.from_contents(schema) @ Registry())
        _validators[key] = jsonschema.validators.Draft202012Validator(schema, registry=registry)
    return _validators[key]


def validate_k8s(objects: list[dict], label: str, stats: dict) -> None:
    for version in KUBE_VERSIONS:
        for o in objects:
            body = {k: v for k, v in o.items() if k != "__template"}
            where = f"{o['kind']}/{o['metadata']['name']}"
            if o["kind"] in CRD_KINDS:
                stats["skipped"][o["kind"]] += 1
                continue
            v = k8s_validator(version, o["kind"], o["apiVersion"])
            if not R.check(v is not None, where, "apiVersion",
                           f"{o['apiVersion']} {o['kind']} is not in Kubernetes {version}"):
                continue
            errors = sorted(v.iter_errors(body), key=lambda e: list(e.absolute_path))
            for e in errors:
                path = ".".join(str(p) for p in e.absolute_path) or "(object)"
                R.check(False, f"{where} (k8s {version} strict)", path, e.message)
            if not errors:
                R.check(True, where, "schema", "")
                stats["validated"] += 1


# --------------------------------------------------------------------------------------------
# Assertions over the rendered objects

def name_of(o: dict) -> str:
    return f"{o['kind']}/{o['metadata']['name']}"


def subset(sel: dict | None, labels: dict | None) -> bool:
    return bool(sel) and all((labels or {}).get(k) == v for k, v in sel.items())


def dig(o, *path, default=None):
    for p in path:
        if isinstance(o, dict) and p in o:
            o = o[p]
        else:
            return default
    return o


def check_pod_security(where: str, pod: dict) -> None:
    psc = pod.get("securityContext") or {}
    R.eq(psc.get("runAsNonRoot"), True, where, "spec.securityContext.runAsNonRoot")
    R.eq(psc.get("runAsUser"), 65532, where, "spec.securityContext.runAsUser")
    R.eq(dig(psc, "seccompProfile", "type"), "RuntimeDefault", where,
         "spec.securityContext.seccompProfile.type")
    R.eq(pod.get("automountServiceAccountToken"), False, where, "spec.automountServiceAccountToken")
    R.eq(pod.get("enableServiceLinks"), False, where, "spec.enableServiceLinks")
    R.check(not pod.get("hostNetwork") and not pod.get("hostPID") and not pod.get("hostIPC"),
            where, "spec.host*", "host namespaces are not allowed")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for c in pod.get("initContainers", []) + pod.get("containers", []):
        f = f"spec.containers[{c['name']}]"
        csc = c.get("securityContext") or {}
        R.eq(csc.get("allowPrivilegeEscalation"), False, where, f"{f}.securityContext.allowPrivilegeEscalation")
        R.eq(csc.get("readOnlyRootFilesystem"), True, where, f"{f}.securityContext.readOnlyRootFilesystem")
        R.eq(dig(csc, "capabilities", "drop"), ["ALL"], where, f"{f}.securityContext.capabilities.drop")
        R.check(not dig(csc, "capabilities", "add"), where, f"{f}.securityContext.capabilities.add",
                "no capability may be added")
        R.check(csc.get("privileged") in (None, False), where, f"{f}.securityContext.privileged", "must not be set")
        tmp = [m for m in c.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
        R.check(len(tmp) == 1 and "emptyDir" in volumes.get(tmp[0]["name"], {}), where,
                f"{f}.volumeMounts[/tmp]", "want an emptyDir mounted at /tmp")
        res = c.get("resources") or {}
        for kind in ("requests", "limits"):
            for r in ("cpu", "memory"):
                R.check(bool(dig(res, kind, r)), where, f"{f}.resources.{kind}.{r}", "must be set")
        image = c.get("image", "")
        R.check(("@" in image) or (":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest")),
                where, f"{f}.image", f"want a pinned tag or digest, got {image!r}")


def env_of(container: dict) -> dict:
    return {e["name"]: e for e in container.get("env", [])}


def check_env_secrets(where: str, svc: str, c: dict, merged: dict, mounts_from: dict) -> None:
    """No secret literal in env; URLs from Secrets unless set plainly; secret files only where
    they belong, from a mounted Secret."""
    env = env_of(c)
    for name, e in env.items():
        if SECRETISH.search(name) and not name.endswith("_FILE"):
            plain_ok = (name == "PARTNERLINE_DATABASE__URL" and merged["database"]["url"]) or \
                       (name == "PARTNERLINE_NATS__URL" and merged["nats"]["url"])
            R.check("valueFrom" in e or plain_ok, where, f"env[{name}]",
                    "a secret must come from a Secret (valueFrom.secretKeyRef), not a literal value")
    for name, owner in SECRET_FILES.items():
        if svc == owner:
            R.check(name in env, where, f"env[{name}]", f"{owner} needs it")
        else:
            R.check(name not in env, where, f"env[{name}]", f"only {owner} may read this secret")
    for name, e in env.items():
        if name.endswith("_FILE") and name.startswith("PARTNERLINE_"):
            path = e.get("value", "")
            src = mounts_from.get(os.path.dirname(path))
            R.check(src is not None and os.path.basename(path) in src, where, f"env[{name}]",
                    f"{path!r} is not a key of a Secret mounted into the container")
    if svc != "orders":
        R.check(not any("WEBHOOK_SECRETS" in n for n in env), where, "env[...WEBHOOK_SECRETS...]",
                "only orders may read webhook secrets")
    want_db = "value" if merged["database"]["url"] else "valueFrom"
    R.check(want_db in env.get("PARTNERLINE_DATABASE__URL", {}), where, "env[PARTNERLINE_DATABASE__URL]",
            f"want database.url by {want_db}")


def secret_mounts(pod: dict, c: dict) -> dict:
    """mount directory -> file names that come from Secrets."""
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    out = {}
    for m in c.get("volumeMounts", []):
        v = volumes.get(m["name"], {})
        files = set()
        if "secret" in v:
            files |= {i["path"] for i in v["secret"].get("items", [])}
        for s in dig(v, "projected", "sources", default=[]):
            if "secret" in s:
                files |= {i["path"] for i in s["secret"].get("items", [])}
        if files:
            out[m["mountPath"].rstrip("/")] = files
    return out


def port_number(container_ports: dict, port) -> int | None:
    return port if isinstance(port, int) else container_ports.get(port)


def release_component(peer: dict, pod_labels_base: dict) -> str | None:
    """The component a NetworkPolicy peer names, if it is exactly pods of this release in this
    namespace; None for anything else (other namespaces, IP blocks, broader selectors)."""
    if set(peer) != {"podSelector"}:
        return None
    sel = peer["podSelector"]
    if set(sel) != {"matchLabels"}:
        return None
    ml = sel["matchLabels"]
    if not all(ml.get(k) == v for k, v in pod_labels_base.items()):
        return None
    return ml.get("app.kubernetes.io/component")


def check_network_policy(where_np: str, np: dict, svc: str, pod_ports: dict, merged: dict,
                         calls: dict, ports: dict, base: dict) -> None:
    spec = np["spec"]
    R.check({"Ingress", "Egress"} <= set(spec.get("policyTypes", [])), where_np, "spec.policyTypes",
            "want Ingress and Egress")
    callers = {c for c, callees in calls.items() if svc in callees}
    internal: dict[str, set] = defaultdict(set)
    external: set = set()
    for i, rule in enumerate(spec.get("ingress", [])):
        rp = rule.get("ports")
        if not R.check(bool(rp), where_np, f"spec.ingress[{i}].ports", "a rule must name its ports"):
            continue
        nums = {port_number(pod_ports, p["port"]) for p in rp}
        peers = rule.get("from")
        if not peers:
            external |= nums
            continue
        for peer in peers:
            comp = release_component(peer, base)
            if comp:
                internal[comp] |= nums
            else:
                external |= nums
    allowed_external = {ADMIN_PORT} | ({ports[svc]} if svc in PUBLIC else set())
    R.check(external <= allowed_external, where_np, "spec.ingress",
            f"admits traffic from outside the release to ports {sorted(external - allowed_external)}"
            f" (only the admin port {ADMIN_PORT}" + (f" and {ports[svc]}" if svc in PUBLIC else "") + ")")
    if svc in PUBLIC:
        R.check(ports[svc] in external, where_np, "spec.ingress", f"the gateway must admit outside traffic on {ports[svc]}")
    R.check(ADMIN_PORT in external, where_np, "spec.ingress", f"Prometheus must reach the admin port {ADMIN_PORT}")
    metrics_rules = [r for r in spec.get("ingress", [])
                     if {port_number(pod_ports, p["port"]) for p in r.get("ports", [])} == {ADMIN_PORT}]
    if merged["networkPolicy"]["metricsFrom"]:
        R.check(any(r.get("from") == merged["networkPolicy"]["metricsFrom"] for r in metrics_rules),
                where_np, "spec.ingress[admin].from", "want networkPolicy.metricsFrom")
    grpc_from = {c for c, nums in internal.items() if ports[svc] in nums}
    R.eq(sorted(grpc_from), sorted(callers), where_np, f"spec.ingress (who may call port {ports[svc]})")
    stray = {c: sorted(n) for c, n in internal.items() if n - {ports[svc]}}
    R.check(not stray, where_np, "spec.ingress", f"release pods admitted to other ports: {stray}")

    to_comp: dict[str, set] = defaultdict(set)
    egress_ports: set = set()
    for i, rule in enumerate(spec.get("egress", [])):
        rp = rule.get("ports")
        if not R.check(bool(rp), where_np, f"spec.egress[{i}].ports", "a rule must name its ports"):
            continue
        nums = {(p["port"], p.get("protocol", "TCP")) for p in rp}
        egress_ports |= nums
        for peer in rule.get("to") or []:
            comp = release_component(peer, base)
            if comp:
                to_comp[comp] |= {n for n, _ in nums}
    for callee in calls[svc]:
        R.check(ports[callee] in to_comp.get(callee, set()), where_np, "spec.egress",
                f"{svc} calls {callee}: want egress to its pods on {ports[callee]}")
    R.check(set(to_comp) <= set(calls[svc]), where_np, "spec.egress",
            f"egress to release pods it does not call: {sorted(set(to_comp) - set(calls[svc]))}")
    R.check((53, "UDP") in egress_ports, where_np, "spec.egress", "want DNS (53/UDP)")
    for dep in ("database", "nats"):
        for p in merged["networkPolicy"][dep]["ports"]:
            R.check((p, "TCP") in egress_ports, where_np, "spec.egress", f"want {dep} port {p}")


def check_set(label: str, objects: list[dict], merged: dict, release: str, namespace: str,
              calls: dict = CALLS, ports: dict = PORTS, production: bool = False) -> None:
    R.context = label
    by_kind: dict[str, list] = defaultdict(list)
    seen = set()
    for o in objects:
        by_kind[o["kind"]].append(o)
        key = (o["kind"], o["metadata"]["name"])
        R.check(key not in seen, name_of(o), "metadata.name", "rendered twice")
        seen.add(key)
        R.eq(o["metadata"].get("namespace"), namespace, name_of(o), "metadata.namespace")
        R.eq(dig(o, "metadata", "labels", "app.kubernetes.io/instance"), release, name_of(o),
             "metadata.labels[app.kubernetes.io/instance]")

    # No Secret at all: the chart holds references only.
    for s in by_kind["Secret"]:
        R.check(False, name_of(s), "kind", "the chart must not render a Secret"
                + (" (with data!)" if s.get("data") or s.get("stringData") else ""))
    R.check(not by_kind["Secret"], "chart", "Secret", "none rendered")

    base = {"app.kubernetes.io/name": "partnerline", "app.kubernetes.io/instance": release}
    enabled = sorted(n for n, v in merged["services"].items() if v["enabled"])
    R.eq(enabled, sorted(calls), "values", "services (enabled)")
    deployments = {dig(d, "spec", "template", "metadata", "labels", "app.kubernetes.io/component"): d
                   for d in by_kind["Deployment"]}
    R.eq(sorted(deployments), sorted(calls), "chart", "Deployments (by component)")
    services = by_kind["Service"]
    sas = {s["metadata"]["name"]: s for s in by_kind["ServiceAccount"]}
    cms = {c["metadata"]["name"]: c for c in by_kind["ConfigMap"]}

    # The configuration file.
    toml_cfg, cfg_sha = None, None
    for cm in cms.values():
        text = dig(cm, "data", "partnerline.toml")
        if text is not None:
            cfg_sha = hashlib.sha256(text.encode()).hexdigest()
            try:
                toml_cfg = tomllib.loads(text)
            except tomllib.TOMLDecodeError as e:
                R.check(False, name_of(cm), "data[partnerline.toml]", f"not TOML: {e}")
    if R.check(toml_cfg is not None, "chart", "ConfigMap", "want one holding partnerline.toml"):
        check_config(toml_cfg, merged, services, calls, ports)

    for svc in sorted(calls):
        d = deployments.get(svc)
        if d is None:
            continue
        where = name_of(d)
        tmpl = d["spec"]["template"]
        labels = tmpl["metadata"].get("labels", {})
        pod = tmpl["spec"]
        sel = dig(d, "spec", "selector", "matchLabels")
        R.check(subset(sel, labels), where, "spec.selector.matchLabels", "does not match the pod template's labels")
        R.eq(dig(sel, "app.kubernetes.io/component"), svc, where, "spec.selector.matchLabels[component]")
        others = [o for s, o in deployments.items() if s != svc]
        R.check(not any(subset(sel, o["spec"]["template"]["metadata"].get("labels")) for o in others),
                where, "spec.selector", "also selects another Deployment's pods")
        R.check(len(pod.get("containers", [])) == 1, where, "spec.template.spec.containers", "want one container")
        c = pod["containers"][0]
        R.eq(c.get("args"), ["serve", "--target", svc], where, f"spec.containers[{c['name']}].args")
        cports = {p["name"]: p["containerPort"] for p in c.get("ports", []) if "name" in p}
        R.eq(cports.get("admin"), ADMIN_PORT, where, "containers[].ports[admin]")
        R.check(ports[svc] in cports.values(), where, "containers[].ports", f"want {ports[svc]}")
        check_pod_security(where, pod)
        R.eq(dig(tmpl, "metadata", "annotations", "checksum/config"), cfg_sha, where,
             "spec.template.metadata.annotations[checksum/config] (sha256 of partnerline.toml)")
        # Probes: startup /healthz and readiness /readyz on the admin port; liveness gRPC health on
        # a gRPC service's own port, /healthz on the admin port for the gateway.
        grpc_service = svc not in PUBLIC
        for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            p = c.get(probe)
            if probe == "livenessProbe" and grpc_service:
                if R.check(bool(p), where, f"containers[{c['name']}].{probe}", "missing"):
                    R.eq(dig(p, "grpc", "port"), ports[svc], where, f"containers[{c['name']}].{probe}.grpc.port")
                continue
            if R.check(bool(p), where, f"containers[{c['name']}].{probe}", "missing"):
                R.eq(dig(p, "httpGet", "path"), path, where, f"containers[{c['name']}].{probe}.httpGet.path")
                R.eq(port_number(cports, dig(p, "httpGet", "port")), ADMIN_PORT, where,
                     f"containers[{c['name']}].{probe}.httpGet.port")
        # Config file from the ConfigMap; secrets from Secrets.
        env = env_of(c)
        cfg_path = dig(env, "PARTNERLINE_CONFIG", "value", default="")
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        cfg_mount = [m for m in c.get("volumeMounts", []) if m["mountPath"].rstrip("/") == os.path.dirname(cfg_path)]
        cm_name = dig(volumes.get(cfg_mount[0]["name"]) if cfg_mount else {}, "configMap", "name")
        R.check(cm_name in cms and os.path.basename(cfg_path) in cms[cm_name].get("data", {}), where,
                "env[PARTNERLINE_CONFIG]", f"{cfg_path!r} is not a key of a rendered ConfigMap mounted there")
        check_env_secrets(where, svc, c, merged, secret_mounts(pod, c))
        if not merged["auth"]["verifyKeys"]:
            R.check("secretKeyRef" in dig(env, "PARTNERLINE_AUTH__VERIFY_KEYS", "valueFrom", default={}), where,
                    "env[PARTNERLINE_AUTH__VERIFY_KEYS]", "auth.verifyKeys is empty: want them from the Secret")
        # ServiceAccount.
        sa = sas.get(pod.get("serviceAccountName", "default"))
        if R.check(sa is not None, where, "spec.template.spec.serviceAccountName", "not a rendered ServiceAccount"):
            R.eq(sa.get("automountServiceAccountToken"), False, name_of(sa), "automountServiceAccountToken")
        # Service.
        svcs = [s for s in services if subset(dig(s, "spec", "selector"), labels)]
        if R.check(len(svcs) == 1, where, "Service", f"want exactly one Service selecting its pods, got {len(svcs)}"):
            s = svcs[0]
            R.check(not any(subset(s["spec"]["selector"], o["spec"]["template"]["metadata"].get("labels")) for o in others),
                    name_of(s), "spec.selector", "also selects another Deployment's pods")
            sports = {p["port"]: p for p in s["spec"].get("ports", [])}
            for want in (ports[svc], ADMIN_PORT):
                p = sports.get(want)
                if R.check(p is not None, name_of(s), "spec.ports", f"want port {want}"):
                    R.eq(port_number(cports, p.get("targetPort", want)), want, name_of(s), f"spec.ports[{want}].targetPort")
        # PodDisruptionBudget.
        pdbs = [p for p in by_kind["PodDisruptionBudget"] if subset(dig(p, "spec", "selector", "matchLabels"), labels)]
        if merged["services"][svc]["pdb"]["enabled"] or production:
            if R.check(len(pdbs) == 1, where, "PodDisruptionBudget", f"want exactly one selecting its pods, got {len(pdbs)}"):
                spec = pdbs[0]["spec"]
                R.check(("minAvailable" in spec) != ("maxUnavailable" in spec), name_of(pdbs[0]), "spec",
                        "want one of minAvailable and maxUnavailable")
        # HorizontalPodAutoscaler.
        hpa_on = merged["services"][svc]["hpa"]["enabled"]
        if production:
            R.check(hpa_on, where, f"values services.{svc}.hpa.enabled", "production runs every service with an HPA")
        hpas = [h for h in by_kind["HorizontalPodAutoscaler"] if dig(h, "spec", "scaleTargetRef", "name") == d["metadata"]["name"]]
        if hpa_on:
            if R.check(len(hpas) == 1, where, "HorizontalPodAutoscaler", f"want exactly one, got {len(hpas)}"):
                h = hpas[0]
                R.eq(h["apiVersion"], "autoscaling/v2", name_of(h), "apiVersion")
                R.eq(dig(h, "spec", "scaleTargetRef", "kind"), "Deployment", name_of(h), "spec.scaleTargetRef.kind")
                R.check(1 <= h["spec"]["minReplicas"] <= h["spec"]["maxReplicas"], name_of(h), "spec.minReplicas",
                        "want 1 <= minReplicas <= maxReplicas")
                R.check(any(dig(m, "resource", "name") == "cpu" for m in h["spec"].get("metrics", [])),
                        name_of(h), "spec.metrics", "want a CPU target")
                if production and svc in HA_SERVICES:
                    R.check(h["spec"]["minReplicas"] >= 2, name_of(h), "spec.minReplicas", "production: want 2 or more")
            R.check("replicas" not in d["spec"], where, "spec.replicas", "the HPA owns the count: must not be set")
        else:
            R.check(not hpas, where, "HorizontalPodAutoscaler", "hpa.enabled is false: want none")
            R.eq(d["spec"].get("replicas"), merged["services"][svc]["replicas"], where, "spec.replicas")
            if production and svc in HA_SERVICES:
                R.check(d["spec"].get("replicas", 0) >= 2, where, "spec.replicas", "production: want 2 or more")
        # NetworkPolicy.
        nps = [n for n in by_kind["NetworkPolicy"] if subset(dig(n, "spec", "podSelector", "matchLabels"), labels)]
        if R.check(len(nps) == 1, where, "NetworkPolicy", f"want exactly one selecting its pods, got {len(nps)}"):
            check_network_policy(name_of(nps[0]), nps[0], svc, cports, merged, calls, ports, base)

    check_job(by_kind, merged, sas)
    check_ingress(by_kind, merged, services, deployments)
    check_service_monitor(by_kind, merged, services)


def check_config(cfg: dict, merged: dict, services: list[dict], calls: dict, ports: dict) -> None:
    where = "ConfigMap partnerline.toml"

    def no_floats(o, path=""):
        if isinstance(o, float):
            R.check(False, where, path, f"{o!r} is a float: Helm numbers must be written as integers")
        elif isinstance(o, dict):
            for k, v in o.items():
                no_floats(v, f"{path}.{k}".lstrip("."))
        elif isinstance(o, list):
            for i, v in enumerate(o):
                no_floats(v, f"{path}[{i}]")
    no_floats(cfg)
    R.eq(dig(cfg, "admin", "listen"), f"0.0.0.0:{ADMIN_PORT}", where, "admin.listen")
    R.eq(dig(cfg, "database", "max_connections"), merged["database"]["maxConnections"], where, "database.max_connections")
    R.eq(dig(cfg, "database", "create_missing"), merged["database"]["createMissing"], where, "database.create_missing")
    R.eq(dig(cfg, "nats", "stream_replicas"), merged["nats"]["streamReplicas"], where, "nats.stream_replicas")
    for secret in (("auth", "signing_key"), ("gateway", "ip_hash_salt"), ("orders", "webhook_secrets"),
                   ("database", "url"), ("nats", "url")):
        R.check(dig(cfg, *secret) is None, where, ".".join(secret), "may hold credentials: must come from env/Secret")
    if merged["auth"]["verifyKeys"]:
        R.eq(dig(cfg, "auth", "verify_keys"), merged["auth"]["verifyKeys"], where, "auth.verify_keys")
    by_name = {s["metadata"]["name"]: s for s in services}
    for svc in calls:
        ep = dig(cfg, "services", svc) or {}
        R.eq(ep.get("listen"), f"0.0.0.0:{ports[svc]}", where, f"services.{svc}.listen")
        m = re.fullmatch(r"http://([a-z0-9-]+):(\d+)", ep.get("url", ""))
        if R.check(bool(m), where, f"services.{svc}.url", f"want http://<Service>:<port>, got {ep.get('url')!r}"):
            s = by_name.get(m.group(1))
            R.check(s is not None and int(m.group(2)) in {p["port"] for p in s["spec"]["ports"]}
                    and dig(s, "spec", "selector", "app.kubernetes.io/component") == svc,
                    where, f"services.{svc}.url", f"{ep['url']} is not {svc}'s Service and port")


def check_job(by_kind: dict, merged: dict, sas: dict) -> None:
    jobs = by_kind["Job"]
    if not merged["migrations"]["enabled"]:
        R.check(not jobs, "chart", "Job", "migrations.enabled is false: want none")
        return
    if not R.check(len(jobs) == 1, "chart", "Job", f"want the migrations Job, got {len(jobs)}"):
        return
    j = jobs[0]
    where = name_of(j)
    ann = j["metadata"].get("annotations", {})
    R.eq(sorted(ann.get("helm.sh/hook", "").split(",")), ["pre-install", "pre-upgrade"], where,
         "metadata.annotations[helm.sh/hook]")
    R.check({"before-hook-creation", "hook-succeeded"} <= set(ann.get("helm.sh/hook-delete-policy", "").split(",")),
            where, "metadata.annotations[helm.sh/hook-delete-policy]", "want before-hook-creation,hook-succeeded")
    pod = j["spec"]["template"]["spec"]
    check_pod_security(where, pod)
    R.eq(pod.get("restartPolicy"), "Never", where, "spec.template.spec.restartPolicy")
    c = pod["containers"][0]
    R.eq(c.get("args"), ["migrate", "--target", "all"], where, "containers[0].args")
    env = env_of(c)
    R.check("PARTNERLINE_DATABASE__URL" in env, where, "env[PARTNERLINE_DATABASE__URL]", "the Job needs the database URL")
    check_env_secrets(where, "migrate", c, merged, secret_mounts(pod, c))
    # Nothing the chart creates exists during a pre-install hook: no ConfigMap, no chart SA.
    for v in pod.get("volumes", []):
        R.check("configMap" not in v and not any("configMap" in s for s in dig(v, "projected", "sources", default=[])),
                where, f"spec.volumes[{v['name']}]", "a pre-install hook cannot mount the chart's ConfigMap")
    for e in c.get("env", []):
        R.check("configMapKeyRef" not in e.get("valueFrom", {}), where, f"env[{e['name']}]",
                "a pre-install hook cannot read the chart's ConfigMap")
    R.check(not any("configMapRef" in e for e in c.get("envFrom", [])), where, "envFrom",
            "a pre-install hook cannot read the chart's ConfigMap")
    sa_name = pod.get("serviceAccountName", "default")
    if sa_name != "default":
        sa = sas.get(sa_name)
        if R.check(sa is not None, where, "spec.template.spec.serviceAccountName", f"{sa_name} is not rendered"):
            sa_ann = sa["metadata"].get("annotations", {})
            R.check("pre-install" in sa_ann.get("helm.sh/hook", "").split(","), name_of(sa),
                    "metadata.annotations[helm.sh/hook]", "the Job's ServiceAccount must exist during pre-install: make it a hook")
            R.check(int(sa_ann.get("helm.sh/hook-weight", "0")) < int(ann.get("helm.sh/hook-weight", "0")),
                    name_of(sa), "metadata.annotations[helm.sh/hook-weight]", "must be created before the Job")


def check_ingress(by_kind: dict, merged: dict, services: list[dict], deployments: dict) -> None:
    ings = by_kind["Ingress"]
    if not merged["ingress"]["enabled"]:
        R.check(not ings, "chart", "Ingress", "ingress.enabled is false: want none")
        return
    if not R.check(len(ings) == 1, "chart", "Ingress", f"want one, got {len(ings)}"):
        return
    i = ings[0]
    where = name_of(i)
    R.eq(i["apiVersion"], "networking.k8s.io/v1", where, "apiVersion")
    if merged["ingress"]["className"]:
        R.eq(i["spec"].get("ingressClassName"), merged["ingress"]["className"], where, "spec.ingressClassName")
    hosts = {r.get("host") for r in i["spec"].get("rules", [])}
    tls = i["spec"].get("tls", [])
    if merged["ingress"]["tls"]:
        R.check(bool(tls), where, "spec.tls", "want TLS")
    for t in tls:
        R.check(set(t.get("hosts", [])) <= hosts and t.get("secretName"), where, "spec.tls",
                "every TLS host must be a rule host, with a secretName")
    gw_labels = dig(deployments.get("gateway", {}), "spec", "template", "metadata", "labels", default={})
    by_name = {s["metadata"]["name"]: s for s in services}
    for r in i["spec"].get("rules", []):
        for p in dig(r, "http", "paths", default=[]):
            svc = by_name.get(dig(p, "backend", "service", "name"))
            R.check(svc is not None and subset(svc["spec"]["selector"], gw_labels), where,
                    f"rules[{r.get('host')}].backend.service", "must be the gateway's Service")
            if svc:
                port = dig(p, "backend", "service", "port")
                R.check(any(port.get("name") == sp.get("name") or port.get("number") == sp["port"]
                            for sp in svc["spec"]["ports"]) and port.get("name", port.get("number")) != "admin"
                        and port.get("number") != ADMIN_PORT, where, f"rules[{r.get('host')}].backend.service.port",
                        "must be the gateway's HTTP port")


def check_service_monitor(by_kind: dict, merged: dict, services: list[dict]) -> None:
    sms = by_kind["ServiceMonitor"]
    if not merged["serviceMonitor"]["enabled"]:
        R.check(not sms, "chart", "ServiceMonitor", "serviceMonitor.enabled is false: want none")
        return
    if not R.check(len(sms) == 1, "chart", "ServiceMonitor", f"want one, got {len(sms)}"):
        return
    sm = sms[0]
    where = name_of(sm)
    R.eq(sm["apiVersion"], "monitoring.coreos.com/v1", where, "apiVersion")
    sel = dig(sm, "spec", "selector", "matchLabels")
    for s in services:
        R.check(subset(sel, s["metadata"].get("labels")), where, "spec.selector", f"does not select {name_of(s)}")
    for ep in sm["spec"].get("endpoints", []):
        R.eq(ep.get("path"), "/metrics", where, "spec.endpoints[].path")
        for s in services:
            R.check(ep.get("port") in {p.get("name") for p in s["spec"]["ports"]}, where, "spec.endpoints[].port",
                    f"{name_of(s)} has no port named {ep.get('port')!r}")
    for k, v in merged["serviceMonitor"]["labels"].items():
        R.eq(dig(sm, "metadata", "labels", k), v, where, f"metadata.labels[{k}]")


# --------------------------------------------------------------------------------------------
# The steps

def with_new_service(tmp: Path, base_values: dict) -> tuple[Path, dict]:
    """A copy of the chart with an eighth service: one services.yaml entry, and one values block
    (a copy of commissions' block in `base_values`)."""
    name, port, calls = NEW_SERVICE
    chart = tmp / "partnerline"
    shutil.copytree(CHART, chart)
    with open(chart / "services.yaml", "a") as f:
        f.write(f"{name}:\n  port: {port}\n  protocol: grpc\n  calls: [{', '.join(calls)}]\n")
    return chart, {"services": {name: copy.deepcopy(base_values["services"]["commissions"])}}


def deep_merge(a: dict, b: dict) -> dict:
    out = copy.deepcopy(a)
    for k, v in b.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def refused(path: Path) -> None:
    R.context = path.name
    text = path.read_text()
    m = re.search(r"^#\s*expect:\s*(.+)$", text, re.M)
    where = f"ci/{path.name}"
    if not R.check(bool(m), where, "# expect:", "name the message the refusal must contain"):
        return
    want = m.group(1).strip()
    try:
        render(CHART, load_values(path), "partnerline", "partnerline")
    except helm.HelmValuesError as e:
        kind, msg = "schema", str(e)
    except helm.HelmRenderError as e:
        kind, msg = "template", str(e)
    else:
        R.check(False, where, "render", "rendered, but must be refused")
        return
    # The schema's most specific findings ("- at '/path': ..."), or the template's message.
    lines = [ln.strip().lstrip("- ") for ln in msg.splitlines() if ln.strip().startswith("- at ")]
    specific = [ln for ln in lines if not re.search(r"validation failed|'(allOf|anyOf|oneOf)' failed", ln)]
    short = "; ".join(specific or lines) or re.sub(r"^execution error at \([^)]*\): ", "", msg.strip())
    if R.check(want in msg, where, "refusal", f"refused, but not for {want!r}: {short}"):
        print(f"  refused {where:<38} {kind:<8} {short[:160]}")


def main() -> int:
    global CHART
    args = sys.argv[1:]
    if args[:1] == ["--chart"] and len(args) == 2:  # for testing the check on a changed copy
        CHART = Path(args[1]).resolve()
    elif args:
        sys.exit("usage: check.py [--chart DIR]")
    started = time.monotonic()
    print(f"chart-check: {CHART.relative_to(CHART.parent.parent)} with Helm {helm.helm_sdk_version()} "
          f"(helm-python-sdk {helm.__version__}), kubernetes-validate {kubernetes_validate.__version__}")
    prod_file = CHART / "ci" / "production-values.yaml"
    prod = load_values(prod_file)
    stats = {"validated": 0, "skipped": defaultdict(int)}
    counts = {}

    R.context = "lint"
    lint(CHART, None, "default values")
    lint(CHART, prod, "production-values")

    sets = [("default", CHART, None, "partnerline", "partnerline", {}),
            ("production", CHART, prod, "acme", "partners", {"production": True})]
    with tempfile.TemporaryDirectory() as tmp:
        new_chart, new_values = with_new_service(Path(tmp), merged_values(CHART, prod))
        name, port, calls = NEW_SERVICE
        sets.append((f"production+{name}", new_chart, deep_merge(prod, new_values), "acme", "partners",
                     {"production": True, "calls": {**CALLS, name: calls}, "ports": {**PORTS, name: port}}))
        for label, chart, values, release, ns, extra in sets:
            R.context = label
            try:
                objects, notes = render(chart, values, release, ns)
            except helm.HelmError as e:
                R.check(False, f"render ({label})", type(e).__name__, str(e))
                continue
            counts[label] = len(objects)
            R.check("sync_interval: always" in notes, "NOTES.txt", "JetStream note", "must name sync_interval: always")
            validate_k8s(objects, label, stats)
            check_set(label, objects, merged_values(chart, values), release, ns, **extra)

    # A change of the configuration changes every Deployment's checksum (pods roll).
    R.context = "checksum"
    a, _ = render(CHART, None, "partnerline", "partnerline")
    b, _ = render(CHART, {"telemetry": {"logLevel": "debug"}}, "partnerline", "partnerline")
    sums = lambda objs: {o["metadata"]["name"]: o["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
                         for o in objs if o["kind"] == "Deployment"}
    for n, s in sums(a).items():
        R.check(sums(b).get(n) != s, f"Deployment/{n}", "spec.template.metadata.annotations[checksum/config]",
                "unchanged after a configuration change")

    print("bad values (each must be refused):")
    bad = sorted((CHART / "ci").glob("bad-*.yaml"))
    R.context = "bad values"
    R.check(len(bad) >= 4, "ci/", "bad-*.yaml", "want a few values files that must be refused")
    for path in bad:
        refused(path)

    skipped = ", ".join(f"{k} x{v}" for k, v in stats["skipped"].items()) or "none"
    failed = len(R.failures)
    print("summary:")
    print(f"  lint:      default and production values, k8s {' and '.join(KUBE_VERSIONS)}, strict")
    print(f"  rendered:  " + ", ".join(f"{k} {v} objects" for k, v in counts.items()))
    print(f"  k8s:       {stats['validated']} object validations (strict, {' and '.join(KUBE_VERSIONS)}); "
          f"skipped by kind, no built-in schema (CRD): {skipped}")
    print(f"  refused:   {len(bad)} ci/bad-*.yaml")
    print(f"  time:      {time.monotonic() - started:.1f} s")
    print(f"chart-check: {R.passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
