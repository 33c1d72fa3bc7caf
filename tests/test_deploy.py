"""The container files, read offline (CI has no Docker engine; .ci/run also runs
`docker-compose config -q`)."""

import re
from typing import Any

import yaml

from .conftest import ROOT


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_image_runs_the_production_server_as_a_non_root_user() -> None:
    text = dockerfile()
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    # serve.py, as `make serve` and the tests' harness start it (one server everywhere).
    assert re.search(r'^CMD \["python", "serve.py"\]', text, re.MULTILINE)
    healthcheck = re.search(r"^HEALTHCHECK .*\n.*", text, re.MULTILINE)
    assert healthcheck and "/readyz" in healthcheck.group(0)


def test_every_file_the_image_copies_exists() -> None:
    for line in re.findall(r"^COPY\s+(.+)$", dockerfile(), re.MULTILINE):
        *sources, _target = line.split()
        for source in sources:
            assert (ROOT / source).exists(), source


def test_migration_runs_once_before_the_app() -> None:
    services = compose()["services"]
    assert services["migrate"]["command"] == ["flask", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    app = services["app"]["depends_on"]
    assert app["migrate"]["condition"] == "service_completed_successfully"
    assert app["redis"]["condition"] == "service_healthy"


def test_every_long_running_service_has_a_health_check() -> None:
    services = compose()["services"]
    assert "/readyz" in " ".join(services["app"]["healthcheck"]["test"])
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"]


def test_app_replicas_can_scale() -> None:
    services = compose()["services"]
    app = services["app"]
    # A fixed host port or a container name would stop `--scale app=3`.
    assert "ports" not in app and "container_name" not in app
    assert services["proxy"]["ports"] == ["8000:80"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "http://app:8000" in nginx
    assert re.search(r"location = /metrics\s*{\s*return 404;", nginx)


def test_database_data_lives_in_a_named_volume() -> None:
    document = compose()
    volumes = document["services"]["postgres"]["volumes"]
    named = [volume.split(":")[0] for volume in volumes]
    assert named and all(name in document["volumes"] for name in named)


def test_image_installs_the_lock_with_hashes_then_the_package_alone() -> None:
    runs = re.findall(r"^RUN ((?:.*\\\n)*.*)$", dockerfile(), re.MULTILINE)
    commands = [c.strip() for run in runs for c in run.replace("\\\n", " ").split("&&")]
    installs = [c for c in commands if c.startswith("pip install")]
    pip_pin = re.search(r"^PIP_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert pip_pin
    assert installs[0].split()[-1] == f"pip=={pip_pin.group(1)}", "the Makefile's pip"
    assert "--require-hashes -r requirements.lock" in installs[1]
    assert installs[2].endswith("--no-deps --no-build-isolation .")
    assert len(installs) == 3, installs
