"""The deployment files: docs/deployment.md lists every setting the code reads; compose.yaml, the Dockerfile and
the Caddyfile hold what the guide promises; secrets can come from files; the image builds and turns healthy when
a container runtime is usable (skipped with the reason otherwise)."""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from hosting.app.settings import SECRET_FILE_SETTINGS, Settings, SettingsError

REPO = Path(__file__).resolve().parents[3]
GUIDE = (REPO / "docs" / "deployment.md").read_text()


class _Recording(Mapping[str, str]):
    """An empty environment that records every variable name looked up."""

    def __init__(self) -> None:
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return default

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _settings_read(tmp_path: Path) -> set[str]:
    env = _Recording()
    Settings.from_env(env, cwd=tmp_path)
    return env.read


def test_guide_lists_every_setting_the_code_reads(tmp_path: Path) -> None:
    read = _settings_read(tmp_path)
    assert len(read) >= 30 and "OPENBADGES_DATABASE_URL" in read and "OPENBADGES_SECRET_KEY_FILE" in read
    # and any OPENBADGES_* name spelled anywhere in the server's code (e.g. the CLI's OPENBADGES_DEBUG)
    spelled = {m for path in (REPO / "hosting").rglob("*.py")
               for m in re.findall(r"\bOPENBADGES_[A-Z0-9_]*[A-Z0-9]\b", path.read_text())}
    documented = set(re.findall(r"^\| `(OPENBADGES_[A-Z0-9_]+)`", GUIDE, re.MULTILINE))
    assert (read | spelled) - documented == set()
    assert documented - (read | spelled) == set(), "the guide documents a setting the code does not read"


def test_guide_covers_the_operator_topics() -> None:
    for heading in ("## Secrets", "## Migrations on upgrade", "## Worker sizing", "## Forwarded headers",
                    "## Backups", "## Every setting", "## compose.yaml"):
        assert heading in GUIDE, heading
    for option in ("--proxy-headers", "--forwarded-allow-ips", "--workers"):
        assert f"`{option}" in GUIDE, option


def test_secret_settings_can_come_from_files(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("k" * 40 + "\n")
    (tmp_path / "url").write_text("postgresql+asyncpg://u:pw@db/openbadges\n")
    (tmp_path / "smtp").write_text("")
    s = Settings.from_env({"OPENBADGES_ENV": "production", "OPENBADGES_SECRET_KEY_FILE": str(tmp_path / "key"),
                           "OPENBADGES_DATABASE_URL_FILE": str(tmp_path / "url"),
                           "OPENBADGES_SMTP_PASSWORD_FILE": str(tmp_path / "smtp")}, cwd=tmp_path)
    assert s.secret_key == "k" * 40 and s.database_url == "postgresql+asyncpg://u:pw@db/openbadges"
    assert s.smtp_password is None
    assert set(SECRET_FILE_SETTINGS) == {"OPENBADGES_DATABASE_URL", "OPENBADGES_SECRET_KEY",
                                         "OPENBADGES_SMTP_PASSWORD"}


@pytest.mark.parametrize(("env", "message"), [
    ({"OPENBADGES_SECRET_KEY_FILE": "/nonexistent/key"}, "cannot read /nonexistent/key"),
    ({"OPENBADGES_SECRET_KEY_FILE": "{tmp}/empty"}, "is empty"),
    ({"OPENBADGES_DATABASE_URL_FILE": "{tmp}/empty"}, "is empty"),
    ({"OPENBADGES_SECRET_KEY_FILE": "{tmp}/key", "OPENBADGES_SECRET_KEY": "x" * 20}, "not both"),
])
def test_secret_files_refuse_what_would_be_a_silent_mistake(env: dict[str, str], message: str,
                                                             tmp_path: Path) -> None:
    (tmp_path / "empty").write_text("")
    (tmp_path / "key").write_text("k" * 40)
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({k: v.format(tmp=tmp_path) for k, v in env.items()}, cwd=tmp_path)


# -- compose.yaml, Dockerfile, Caddyfile -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml", reason="PyYAML not installed: compose.yaml not parsed")
    data: dict[str, Any] = yaml.safe_load((REPO / "compose.yaml").read_text())
    return data


def _flag(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_compose_has_database_migration_workers_sender_and_tls_proxy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"db", "migrate", "server", "notifier", "proxy"} <= set(services)
    assert services["db"]["image"].startswith("postgres:") and "pg_isready" in str(services["db"]["healthcheck"])
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    server = services["server"]
    command = server["command"]
    assert command[0] == "run" and "--proxy-headers" in command
    assert re.fullmatch(r"\$\{OPENBADGES_WORKERS:-[2-9]\d*\}", _flag(command, "--workers"))
    assert server["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "ports" not in server, "only the proxy may face clients (forwarded headers are trusted)"
    # The trusted proxies are exactly the compose network the proxy sits on.
    subnet = compose["networks"]["backend"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_network(_flag(command, "--forwarded-allow-ips")) == ipaddress.ip_network(subnet)
    assert services["proxy"]["networks"] == ["backend"] and "443:443" in services["proxy"]["ports"]
    assert services["proxy"]["depends_on"]["server"]["condition"] == "service_healthy"
    assert services["notifier"]["command"] == ["send-notifications"]
    assert "OPENBADGES_SMTP_HOST" in services["notifier"]["environment"]
    assert not any(k.startswith("OPENBADGES_SMTP") for k in server["environment"]), "the server only queues"
    for name in ("migrate", "server", "notifier"):
        env = services[name]["environment"]
        assert env["OPENBADGES_ENV"] == "production" and "OPENBADGES_SECRET_KEY_FILE" in env
        assert "OPENBADGES_SECRET_KEY" not in env and "OPENBADGES_DATABASE_URL" not in env  # files only
        assert set(env) <= set(re.findall(r"`(OPENBADGES_[A-Z0-9_]+)`", GUIDE)), "an unknown setting"
    for secret in compose["secrets"].values():
        assert secret["file"].startswith("./secrets/")


def test_compose_health_checks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["healthcheck"] == {"disable": True}  # one-shot, no HTTP
    assert services["notifier"]["healthcheck"] == {"disable": True}
    assert "healthcheck" in services["db"] and "healthcheck" in services["proxy"]
    assert "healthcheck" not in services["server"]  # the image's HEALTHCHECK applies


def test_dockerfile_is_multi_stage_non_root_with_a_health_check() -> None:
    text = (REPO / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+\S+(?:\s+AS\s+(\S+))?", text, re.MULTILINE | re.IGNORECASE)
    assert len(stages) >= 2 and "build" in stages
    final = text[[m.start() for m in re.finditer(r"^FROM ", text, re.MULTILINE)][-1]:]
    users = re.findall(r"^USER\s+(\S+)", final, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    health = re.search(r"^HEALTHCHECK\s.*?CMD\s+(.*)$", final, re.MULTILINE | re.DOTALL)
    assert health and re.search(r"http://127\.0\.0\.1:8000/(readyz|healthz)", health.group(1))
    assert re.search(r'^ENTRYPOINT \["openbadges-server"\]', final, re.MULTILINE)
    assert "COPY --from=build" in final and "pip install" not in final  # the runtime stage only copies
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.MULTILINE):
        for item in source.split():
            assert (REPO / item).exists(), f"the Dockerfile copies {item}, which is not in the repository"


def test_caddy_terminates_tls_and_proxies_to_the_server() -> None:
    text = (REPO / "deploy" / "Caddyfile").read_text()
    assert re.search(r"^\s*tls internal", text, re.MULTILINE)
    assert re.search(r"^\s*reverse_proxy server:8000", text, re.MULTILINE)
    assert "read_header" in text and "read_body" in text


# -- the image, when a container runtime is usable -------------------------------------------------------------

def _container_runtime() -> str:
    for tool in ("docker", "podman"):
        exe = shutil.which(tool)
        if exe and subprocess.run([exe, "info"], capture_output=True, timeout=30, check=False).returncode == 0:
            return exe
    pytest.skip("no usable container runtime (`docker info` / `podman info` fail): the image is not built here")


def _base_image_available(runtime: str) -> None:
    """Skip when the Dockerfile's base image is neither present nor pullable (a runtime without registry
    access: the build could not start, whatever the Dockerfile says)."""
    text = (REPO / "Dockerfile").read_text()
    version = re.search(r"^ARG PYTHON_VERSION=(\S+)", text, re.MULTILINE)
    base = f"python:{version.group(1) if version else '3.12'}-slim"
    if subprocess.run([runtime, "image", "inspect", base], capture_output=True, timeout=60,
                      check=False).returncode == 0:
        return
    pulled = subprocess.run([runtime, "pull", base], capture_output=True, text=True, timeout=600, check=False)
    if pulled.returncode != 0:
        pytest.skip(f"the base image {base} cannot be pulled here ({pulled.stderr.strip()[-200:]})")


@pytest.mark.slow
def test_image_builds_and_becomes_healthy() -> None:
    runtime = _container_runtime()
    _base_image_available(runtime)
    tag = f"openbadges-test:{uuid.uuid4().hex[:8]}"
    build = subprocess.run([runtime, "build", "-t", tag, str(REPO)], capture_output=True, text=True, timeout=1800,
                           check=False)
    assert build.returncode == 0, build.stderr[-3000:]
    name = f"openbadges-test-{uuid.uuid4().hex[:8]}"
    try:
        version = subprocess.run([runtime, "run", "--rm", tag, "--version"], capture_output=True, text=True,
                                 timeout=120, check=False)
        assert version.returncode == 0 and version.stdout.startswith("openbadges-server, version")
        uid = subprocess.run([runtime, "run", "--rm", "--entrypoint", "id", tag, "-u"], capture_output=True,
                             text=True, timeout=120, check=False)
        assert uid.stdout.strip() not in {"", "0"}
        started = subprocess.run(
            [runtime, "run", "-d", "--name", name, "--health-interval=2s", "--health-start-period=2s",
             "-e", "OPENBADGES_SECRET_KEY=" + "c" * 40, "--entrypoint", "sh", tag, "-c",
             "openbadges-server migrate && exec openbadges-server run --host 0.0.0.0 --port 8000 --workers 2"],
            capture_output=True, text=True, timeout=120, check=False)
        assert started.returncode == 0, started.stderr
        deadline = time.monotonic() + 120
        status = ""
        while time.monotonic() < deadline and status != "healthy":
            status = subprocess.run([runtime, "inspect", "--format", "{{.State.Health.Status}}", name],
                                    capture_output=True, text=True, timeout=30, check=False).stdout.strip()
            time.sleep(2)
        assert status == "healthy"
    finally:
        subprocess.run([runtime, "rm", "-f", name], capture_output=True, timeout=60, check=False)
        subprocess.run([runtime, "rmi", "-f", tag], capture_output=True, timeout=120, check=False)
