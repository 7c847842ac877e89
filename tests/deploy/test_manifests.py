"""The Kubernetes manifests under deploy/k8s: YAML that parses, every object valid against the
Kubernetes API schemas (kubernetes-validate, strict: unknown fields are errors), references
between objects that resolve, NetworkPolicies that let notebook servers reach the service and
Dask but not each other, and a hub configuration that runs. No cluster is involved."""
import copy
import pathlib
import re
import types

import kubernetes_validate
import pytest
import yaml
from traitlets.config import Config

K8S = pathlib.Path(__file__).resolve().parents[2] / "deploy" / "k8s"
# The Kubernetes releases the manifests must be valid for: the newest the pinned validator
# knows and an older one still common on managed clusters.
VERSIONS = ["1.30.0", "1.37.0"]


def manifest_files():
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def load_objects():
    objects = []
    for path in manifest_files():
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                objects.append((path.name, doc))
    return objects


def schema_errors(obj, version):
    """The validator's complaint about one object, or None."""
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as e:
        return str(e)
    return None


def hub_config():
    """jupyterhub_config.py run as JupyterHub runs it: with a traitlets Config as `c`."""
    c = Config()
    code = (K8S / "hub" / "jupyterhub_config.py").read_text()
    exec(compile(code, "jupyterhub_config.py", "exec"), {"c": c, "get_config": lambda: c})
    return c


def test_every_object_is_well_formed():
    objects = load_objects()
    assert len(objects) >= 20
    for name, obj in objects:
        assert isinstance(obj, dict), name
        for key in ("apiVersion", "kind", "metadata"):
            assert key in obj, f"{name}: object without {key}"
        assert obj["metadata"].get("name"), f"{name}: {obj['kind']} without a name"
    keys = [(o["kind"], o["metadata"]["name"]) for _, o in objects]
    assert len(keys) == len(set(keys)), "two objects of one kind share a name"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_object_matches_the_kubernetes_schema(version):
    failures = []
    for name, obj in load_objects():
        err = schema_errors(obj, version)
        if err:
            failures.append(f"{name} {obj['kind']}/{obj['metadata']['name']}: {err}")
    assert not failures, "\n".join(failures)


def test_the_validator_rejects_broken_objects():
    """The schema check can fail: a mistyped field, a wrong type and a missing required field
    in otherwise valid objects are each reported."""
    objects = {o["kind"]: o for _, o in load_objects()}
    sts = objects["StatefulSet"]
    assert schema_errors(sts, VERSIONS[-1]) is None
    typo = copy.deepcopy(sts)
    typo["spec"]["replica"] = 1
    assert "replica" in schema_errors(typo, VERSIONS[-1])
    wrong_type = copy.deepcopy(sts)
    wrong_type["spec"]["replicas"] = "one"
    assert schema_errors(wrong_type, VERSIONS[-1]) is not None
    no_image = copy.deepcopy(objects["Deployment"])
    del no_image["spec"]["template"]["spec"]["containers"][0]["name"]
    assert schema_errors(no_image, VERSIONS[-1]) is not None
    bad_probe = copy.deepcopy(sts)
    bad_probe["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["pth"] = "/"
    assert schema_errors(bad_probe, VERSIONS[-1]) is not None


def test_kustomization_lists_every_file():
    k = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert k["kind"] == "Kustomization"
    listed = set(k["resources"])
    present = {p.name for p in manifest_files()}
    assert listed == present, f"listed but absent: {listed - present}; present but not listed: {present - listed}"
    for gen in k.get("configMapGenerator", []):
        for f in gen["files"]:
            assert (K8S / f).is_file(), f


def pod_templates(objects):
    """(owner name, labels, pod spec) of every workload, plus the notebook server pods that
    KubeSpawner makes (labels from the hub configuration)."""
    pods = []
    for _, o in objects:
        if o["kind"] in ("Deployment", "StatefulSet"):
            t = o["spec"]["template"]
            pods.append((o["metadata"]["name"], t["metadata"]["labels"], t["spec"]))
    c = hub_config()
    notebook = {"containers": [{"name": "notebook", "ports": [{"name": "http", "containerPort": 8888}]}]}
    pods.append(("notebook", dict(c.KubeSpawner.extra_labels), notebook))
    return pods


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def test_references_resolve():
    objects = load_objects()
    defined = {(o["kind"], o["metadata"]["name"]) for _, o in objects}
    k = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    defined |= {("ConfigMap", g["name"]) for g in k.get("configMapGenerator", [])}
    for _, o in objects:
        if o["kind"] in ("Deployment", "StatefulSet"):
            spec = o["spec"]
            assert matches(spec["selector"], spec["template"]["metadata"]["labels"]), o["metadata"]["name"]
    text = "\n".join(p.read_text() for p in manifest_files())
    refs = [("ConfigMap", n) for n in re.findall(r"configMapRef:\s*\n\s*name: (\S+)", text)]
    refs += [("Secret", n) for n in re.findall(r"secretRef:\s*\n\s*name: (\S+)", text)]
    refs += [("Secret", n) for n in re.findall(r"secretKeyRef:\s*\n\s*name: (\S+)", text)]
    refs += [("PersistentVolumeClaim", n) for n in re.findall(r"claimName: (\S+)", text)]
    refs += [("ServiceAccount", n) for n in re.findall(r"serviceAccountName: (\S+)", text)]
    refs += [("ConfigMap", n) for n in re.findall(r"configMap:\s*\n\s*name: (\S+)", text)]
    assert len(refs) >= 8
    for ref in refs:
        assert ref in defined, f"{ref[0]} {ref[1]} is referenced but not defined"
    for _, o in objects:
        if o["kind"] == "HorizontalPodAutoscaler":
            t = o["spec"]["scaleTargetRef"]
            assert (t["kind"], t["name"]) in defined
        if o["kind"] == "RoleBinding":
            assert (o["roleRef"]["kind"], o["roleRef"]["name"]) in defined
    c = hub_config()
    for source in c.KubeSpawner.extra_container_config["envFrom"]:
        kind, ref = ("ConfigMap", source["configMapRef"]) if "configMapRef" in source else ("Secret", source["secretRef"])
        assert (kind, ref["name"]) in defined


def test_services_select_pods_with_their_ports():
    objects = load_objects()
    pods = pod_templates(objects)
    for _, svc in objects:
        if svc["kind"] != "Service":
            continue
        targets = [p for p in pods if matches({"matchLabels": svc["spec"]["selector"]}, p[1])]
        assert targets, f"Service {svc['metadata']['name']} selects no pod"
        for port in svc["spec"]["ports"]:
            for owner, _, spec in targets:
                names = {p.get("name") for c in spec["containers"] for p in c.get("ports", [])}
                assert port["targetPort"] in names, f"{svc['metadata']['name']}: {owner} has no port {port['targetPort']}"


def test_probes_use_declared_ports():
    for owner, _, spec in pod_templates(load_objects()):
        for c in spec["containers"]:
            names = {p["name"] for p in c.get("ports", [])}
            for probe in ("readinessProbe", "livenessProbe"):
                if probe in c:
                    action = c[probe].get("httpGet") or c[probe].get("tcpSocket")
                    assert action["port"] in names, f"{owner}/{c['name']} {probe} port {action['port']}"


def allowed(policies, src_labels, dst_labels, port):
    """Whether NetworkPolicies admit a connection from a pod with src_labels to a pod with
    dst_labels on port: denied only when some policy selects the destination for ingress and
    none of the selecting policies has a rule admitting it (Kubernetes' semantics, for the
    podSelector/ports subset these manifests use)."""
    selecting = [p for p in policies if matches(p["spec"]["podSelector"], dst_labels)
                 and "Ingress" in p["spec"].get("policyTypes", ["Ingress"])]
    if not selecting:
        return True
    for p in selecting:
        for rule in p["spec"].get("ingress", []):
            peers = rule.get("from")
            peer_ok = not peers or any(matches(peer["podSelector"], src_labels) for peer in peers)
            ports = rule.get("ports")
            port_ok = not ports or any(pp["port"] == port for pp in ports)
            if peer_ok and port_ok:
                return True
    return False


def test_network_policies_isolate_users():
    objects = load_objects()
    policies = [o for _, o in objects if o["kind"] == "NetworkPolicy"]
    for p in policies:
        for rule in p["spec"].get("ingress", []):
            for peer in rule.get("from", []):
                assert set(peer) == {"podSelector"}, "the check below understands podSelector peers only"
    labels = {name: lab for name, lab, _ in pod_templates(objects)}
    user, service = labels["notebook"], labels["astrolake-service"]
    scheduler, worker = labels["astrolake-dask-scheduler"], labels["astrolake-dask-worker"]
    hub, proxy = labels["astrolake-hub"], labels["astrolake-proxy"]
    # A user's pod reaches the service, the hub, and Dask...
    assert allowed(policies, user, service, 8080)
    assert allowed(policies, user, hub, 8081)
    assert allowed(policies, user, scheduler, 8786)
    assert allowed(policies, user, worker, 8788)
    # ...but not another user's pod, on its server port or any other.
    assert not allowed(policies, user, user, 8888)
    assert not allowed(policies, user, user, 22)
    # Its own server is reached through the proxy and by the hub; workers cannot reach it.
    assert allowed(policies, proxy, user, 8888)
    assert allowed(policies, hub, user, 8888)
    assert not allowed(policies, worker, user, 8888)
    # Dask: workers and the scheduler reach each other; the proxy API only from the hub.
    assert allowed(policies, worker, scheduler, 8786)
    assert allowed(policies, scheduler, worker, 8788)
    assert allowed(policies, worker, worker, 8788)
    assert allowed(policies, hub, proxy, 8001)
    assert not allowed(policies, user, proxy, 8001)
    # A pod no policy names is reachable by nobody (default deny).
    assert not allowed(policies, user, {"app": "other"}, 80)


def test_hub_configuration_runs():
    c = hub_config()
    assert c.JupyterHub.spawner_class == "kubespawner.KubeSpawner"
    assert c.JupyterHub.authenticator_class == "astrolake.hub.authenticator.AstrolakeAuthenticator"
    assert c.AstrolakeAuthenticator.service_url == "http://astrolake-service:8080"
    assert c.Authenticator.enable_auth_state is True
    assert c.KubeSpawner.environment["ASTROLAKE_SERVICE_URL"].startswith("http://astrolake-service")
    sizes = c.KubeSpawner.profile_list
    assert [p["slug"] for p in sizes] == ["small", "medium", "large"]
    assert sum(p.get("default", False) for p in sizes) == 1

    def gib(v):
        return float(v[:-1]) if v.endswith("G") else float(v) / 2**30

    for p in sizes:
        o = p["kubespawner_override"]
        assert o["cpu_limit"] >= o["cpu_guarantee"] > 0, p["slug"]
        assert gib(o["mem_limit"]) >= gib(o["mem_guarantee"]) > 0, p["slug"]
    # The token goes to the user's own server, and only there.
    alice = types.SimpleNamespace(environment=dict(c.KubeSpawner.environment))
    bob = types.SimpleNamespace(environment=dict(c.KubeSpawner.environment))
    c.KubeSpawner.auth_state_hook(alice, {"token": "alice-token"})
    c.KubeSpawner.auth_state_hook(bob, None)
    assert alice.environment["ASTROLAKE_TOKEN"] == "alice-token"
    assert "ASTROLAKE_TOKEN" not in bob.environment
    assert "ASTROLAKE_TOKEN" not in c.KubeSpawner.environment
    culler = [s for s in c.JupyterHub.services if s["name"] == "idle-culler"]
    assert culler and "jupyterhub_idle_culler" in culler[0]["command"]
    role = [r for r in c.JupyterHub.load_roles if "idle-culler" in r.get("services", [])]
    assert role and "delete:servers" in role[0]["scopes"]
