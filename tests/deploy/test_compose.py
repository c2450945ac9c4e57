"""compose.yaml, the production shape on one host: its services, dependencies, secrets and
mounted files agree with one another and with the repository (no compose engine here; the
check is what `docker compose config` would refuse, and more)."""

from __future__ import annotations

from typing import Any

import yaml

from tests.deploy.manifests import ROOT, is_setting


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def signoff_services() -> dict[str, dict[str, Any]]:
    return {n: s for n, s in compose()["services"].items() if s.get("image") == "signoff:local"}


def test_the_stack_has_its_parts() -> None:
    services = compose()["services"]
    commands = [s.get("command") for s in signoff_services().values()]
    assert commands.count(["serve"]) == 2
    assert commands.count(["worker"]) == 1
    assert commands.count(["db", "upgrade"]) == 1
    images = " ".join(s.get("image", "") for s in services.values())
    for part in ("postgres", "redis", "nats", "prometheus", "grafana", "opentelemetry", "caddy"):
        assert part in images, part
    assert "--jetstream" in services["nats"]["command"]


def test_signoff_starts_after_the_migration_and_the_proxy_after_the_servers() -> None:
    services = compose()["services"]
    for name, service in signoff_services().items():
        after = service["depends_on"]
        if service["command"] == ["db", "upgrade"]:
            assert after["postgres"]["condition"] == "service_healthy"
            assert service["restart"] == "no"
            continue
        assert after["migrate"]["condition"] == "service_completed_successfully", name
        assert service["read_only"] is True
        assert service["tmpfs"] == ["/tmp"]
    servers = {n for n, s in signoff_services().items() if s["command"] == ["serve"]}
    assert set(services["proxy"]["depends_on"]) == servers
    caddy = (ROOT / "deploy" / "compose" / "Caddyfile").read_text()
    assert all(f"{name}:8000" in caddy for name in servers)


def test_every_dependency_secret_and_mounted_file_exists() -> None:
    spec = compose()
    services, secrets = spec["services"], spec["secrets"]
    maker = (ROOT / "deploy" / "compose" / "make-secrets.sh").read_text()
    for secret in secrets.values():
        assert secret["file"].startswith("./.secrets/")
        assert secret["file"].removeprefix("./") in maker, "make-secrets.sh writes it"
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, (name, dependency)
        for secret in service.get("secrets", []):
            assert secret in secrets, (name, secret)
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), (name, source)
            else:
                assert source in spec["volumes"], (name, source)


def test_signoff_is_configured_by_signoff_variables_with_secrets_as_files() -> None:
    for name, service in signoff_services().items():
        for variable, value in service["environment"].items():
            assert is_setting(variable), (name, variable)
            if variable.endswith("_FILE"):
                assert value.removeprefix("/run/secrets/") in service["secrets"], (name, value)


def test_prometheus_scrapes_every_signoff_process_and_loads_the_alerts() -> None:
    config = yaml.safe_load((ROOT / "deploy" / "compose" / "prometheus.yml").read_text())
    targets = {
        t for job in config["scrape_configs"] for s in job["static_configs"] for t in s["targets"]
    }
    servers = {f"{n}:8000" for n, s in signoff_services().items() if s["command"] == ["serve"]}
    worker = next(s for s in signoff_services().values() if s["command"] == ["worker"])
    port = worker["environment"]["SIGNOFF_WORKER__METRICS_PORT"]
    assert targets == servers | {f"worker:{port}"}
    mounts = compose()["services"]["prometheus"]["volumes"]
    assert "./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in mounts
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
