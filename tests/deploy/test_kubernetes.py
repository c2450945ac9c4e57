"""deploy/k8s/: every manifest is valid against the Kubernetes schemas (kubernetes-validate,
strict: an unknown field is an error), and has the shape design §14.4 promises: probes on
the health routes, non-root pods on a read-only root filesystem, secrets as files."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
import yaml

from signoff.runtime import health
from tests.deploy.manifests import ROOT, is_setting

K8S = ROOT / "deploy" / "k8s"
VERSION = "1.30.0"


def documents() -> list[dict[str, Any]]:
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    found = []
    for name in listed:
        found += [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]
    return found


def by_kind(kind: str) -> list[dict[str, Any]]:
    return [d for d in documents() if d["kind"] == kind]


def pod_specs() -> list[dict[str, Any]]:
    return [
        d["spec"]["template"]["spec"] for d in documents() if d["kind"] in {"Deployment", "Job"}
    ]


def test_every_file_is_listed_in_the_kustomization() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


@pytest.mark.parametrize(
    "document", documents(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}"
)
def test_every_manifest_is_valid_against_the_kubernetes_schema(document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, VERSION, strict=True)


def test_the_schema_check_refuses_a_misspelt_field() -> None:
    server = by_kind("Deployment")[0]
    broken = {**server, "spec": {**server["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSION, strict=True)


def test_the_kinds_of_a_deployment_are_all_there() -> None:
    kinds = [d["kind"] for d in documents()]
    assert kinds.count("Deployment") == 2
    for kind in ("Job", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy"):
        assert kind in kinds, kind
    (job,) = by_kind("Job")
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["db", "upgrade"]


def test_the_servers_are_probed_on_the_health_routes() -> None:
    routes = {getattr(r, "path", None) for r in health.router.routes}
    (server,) = [d for d in by_kind("Deployment") if d["metadata"]["name"] == "signoff-server"]
    container = server["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["serve"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert {"/health/live", "/health/ready"} <= routes
    for kind in ("PodDisruptionBudget", "HorizontalPodAutoscaler"):
        (target,) = by_kind(kind)
        labels = server["spec"]["template"]["metadata"]["labels"]
        selector = target["spec"].get("selector", {}).get("matchLabels")
        ref = target["spec"].get("scaleTargetRef", {}).get("name")
        assert selector == labels or ref == "signoff-server"


def test_every_pod_runs_as_non_root_on_a_read_only_root_filesystem() -> None:
    for spec in pod_specs():
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] != 0
        assert spec["automountServiceAccountToken"] is False
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert container["resources"]["limits"]["memory"]
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert "/tmp" in mounts  # the only writable place


def test_settings_are_signoff_variables_and_secrets_are_files() -> None:
    (config,) = by_kind("ConfigMap")
    (secret,) = by_kind("Secret")
    for variable, value in config["data"].items():
        assert is_setting(variable), variable
        if variable.endswith("_FILE"):
            assert value.startswith("/run/secrets/signoff/")
            assert value.rsplit("/", 1)[1] in secret["stringData"]
    for spec in pod_specs():
        for container in spec["containers"]:
            assert "env" not in container  # everything through the ConfigMap and files
            assert container["envFrom"] == [{"configMapRef": {"name": "signoff"}}]
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert volumes["secrets"]["secret"]["secretName"] == secret["metadata"]["name"]
