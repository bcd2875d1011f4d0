"""Every failure of ``openbadges-server`` is one line on stderr and exit status 2 — never a traceback.

Each case runs the console script's entry point in a real subprocess (what a user sees in a terminal).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

SECRET = "cli-secret-" + "z" * 20
ENTRY = "from hosting.app.entry import main; main()"


def _server_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | str | None = None,
                timeout: float = 60) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OPENBADGES_")}
    environ.update({"OPENBADGES_SECRET_KEY": SECRET, **(env or {})})
    return subprocess.run([sys.executable, "-c", ENTRY, *args], env=environ, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, check=False)


def _assert_one_line_error(res: subprocess.CompletedProcess[str], *needles: str) -> str:
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert lines[0].startswith(("openbadges-server: error: ", "Error: ", "Usage: ")), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def _refused_port() -> int:
    """A loopback port nobody listens on (bound then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_server_version_is_the_package_version() -> None:
    res = _server_cli("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"openbadges-server, version {version('openbadges')}"


def test_library_cli_version_is_the_package_version() -> None:
    res = subprocess.run([sys.executable, "-m", "openbadges_core", "--version"], capture_output=True, text=True,
                         timeout=60, check=False)
    assert res.returncode == 0 and res.stdout.strip() == f"openbadges, version {version('openbadges')}"


@pytest.mark.parametrize(("url", "needles"), [
    ("not a url", ("OPENBADGES_DATABASE_URL is not a database URL", "postgresql+asyncpg://")),
    ("nosuchdb+driver://u:hunter2@127.0.0.1/db", ("unknown database driver", "u:***@")),
    ("postgresql://u:hunter2@127.0.0.1/db", ("must name an async driver", "u:***@")),
    ("sqlite:///x.db", ("must name an async driver",)),
])
def test_bad_database_url_is_one_line(url: str, needles: tuple[str, ...]) -> None:
    line = _assert_one_line_error(_server_cli("migrate", env={"OPENBADGES_DATABASE_URL": url}), *needles)
    assert "hunter2" not in line  # the password is never printed


@pytest.mark.parametrize("command", [["run"], ["seed-demo"], ["send-notifications", "--once"]])
def test_every_command_reports_a_bad_database_url_in_one_line(command: list[str]) -> None:
    env = {"OPENBADGES_DATABASE_URL": "postgresql://u:hunter2@127.0.0.1/db", "OPENBADGES_SMTP_HOST": "127.0.0.1",
           "OPENBADGES_SMTP_FROM": "badges@example.org"}
    line = _assert_one_line_error(_server_cli(*command, env=env), "must name an async driver")
    assert "hunter2" not in line


def test_unreachable_database_is_one_line_and_hides_the_password() -> None:
    url = f"postgresql+asyncpg://user:hunter2@127.0.0.1:{_refused_port()}/db"
    for command in (["migrate"], ["run", "--port", str(_refused_port())]):
        res = _server_cli(*command, env={"OPENBADGES_DATABASE_URL": url, "OPENBADGES_DB_CONNECT_TIMEOUT": "2"})
        line = _assert_one_line_error(res, "cannot reach the database", "user:***@127.0.0.1")
        assert "hunter2" not in line


@pytest.mark.postgres
def test_missing_postgres_database_is_one_line() -> None:
    admin = os.environ.get("OPENBADGES_TEST_DATABASE_URL", "")
    if not admin.startswith("postgresql"):
        if os.environ.get("OPENBADGES_REQUIRE_POSTGRES") == "1":
            pytest.fail("OPENBADGES_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests skipped: OPENBADGES_TEST_DATABASE_URL is not set")
    from sqlalchemy.engine import make_url

    url = make_url(admin).set(database="openbadges_no_such_database").render_as_string(hide_password=False)
    _assert_one_line_error(_server_cli("migrate", env={"OPENBADGES_DATABASE_URL": url}),
                           "cannot use the database", 'database "openbadges_no_such_database" does not exist')


def test_unwritable_database_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    url = f"sqlite+aiosqlite:///{tmp_path / 'a-file' / 'openbadges.db'}"
    _assert_one_line_error(_server_cli("migrate", env={"OPENBADGES_DATABASE_URL": url}),
                           "cannot use the database", "unable to open database file")
    # run refuses a database file that is not there (it never creates one)
    _assert_one_line_error(_server_cli("run", env={"OPENBADGES_DATABASE_URL": url}), "does not exist", "migrate")


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs /sys (a directory nobody, not even root, can write)")
def test_unwritable_directory_for_the_development_secret_is_one_line() -> None:
    env = {"OPENBADGES_SECRET_KEY": "", "OPENBADGES_DATABASE_URL": "sqlite+aiosqlite:////sys/openbadges.db"}
    _assert_one_line_error(_server_cli("migrate", env=env, cwd="/sys"), "cannot write or open",
                           "/sys/.openbadges-secret")


def test_unwritable_sqlite_directory_is_one_line() -> None:
    if not Path("/sys").is_dir():
        pytest.skip("needs /sys")
    _assert_one_line_error(
        _server_cli("migrate", env={"OPENBADGES_DATABASE_URL": "sqlite+aiosqlite:////sys/openbadges.db"}),
        "/sys/openbadges.db")


@pytest.mark.parametrize(("env", "needle"), [
    ({"OPENBADGES_BASE_URL": "ftp://badges.example.org"}, "OPENBADGES_BASE_URL must start with http"),
    ({"OPENBADGES_DB_POOL_SIZE": "many"}, "OPENBADGES_DB_POOL_SIZE must be an integer"),
    ({"OPENBADGES_ENV": "production", "OPENBADGES_SECRET_KEY": ""}, "OPENBADGES_SECRET_KEY must be set"),
    ({"OPENBADGES_SMTP_HOST": "mail.example.org"}, "OPENBADGES_SMTP_FROM is required"),
    ({"OPENBADGES_SECRET_KEY": "short"}, "at least 16 characters"),
])
def test_bad_settings_are_one_line(env: dict[str, str], needle: str, tmp_path: Path) -> None:
    _assert_one_line_error(_server_cli("run", env=env, cwd=tmp_path), needle)


def test_a_command_refusal_is_exit_2_too(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    assert _server_cli("migrate", env={"OPENBADGES_DATABASE_URL": url}).returncode == 0
    _assert_one_line_error(_server_cli("send-notifications", "--once", env={"OPENBADGES_DATABASE_URL": url}),
                           "notifications are off")
    _assert_one_line_error(_server_cli("revoke-token", "obt_nope", env={"OPENBADGES_DATABASE_URL": url}),
                           "no such active token")


def test_run_refuses_a_bad_proxy_list_and_a_busy_port(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    assert _server_cli("migrate", env={"OPENBADGES_DATABASE_URL": url}).returncode == 0
    env = {"OPENBADGES_DATABASE_URL": url}
    _assert_one_line_error(_server_cli("run", "--proxy-headers", "--forwarded-allow-ips", "10.0.0.0/8,proxy",
                                       env=env), "not an IP address or network", "'proxy'")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        _assert_one_line_error(_server_cli("run", "--port", str(port), env=env), f"cannot listen on 127.0.0.1:{port}")


def test_unexpected_errors_are_one_line_unless_debugging(tmp_path: Path) -> None:
    """A bug (here: a database that is no openbadges database) is one line naming the error; with
    OPENBADGES_DEBUG=1 the traceback is shown for a bug report."""
    import sqlite3

    db = tmp_path / "other.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE api_tokens (x INTEGER)")  # an unrelated table under our name
    env = {"OPENBADGES_DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
    _assert_one_line_error(_server_cli("create-token", "--email", "a@b.org", env=env), "cannot use the database")
    debug = _server_cli("create-token", "--email", "a@b.org", env={**env, "OPENBADGES_DEBUG": "1"})
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_notification_sender_loop_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """``docker stop`` sends SIGTERM: the polling sender finishes and exits 0, without a traceback."""
    import signal
    import time

    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    env = {"OPENBADGES_DATABASE_URL": url, "OPENBADGES_SMTP_HOST": "127.0.0.1",
           "OPENBADGES_SMTP_PORT": str(_refused_port()), "OPENBADGES_SMTP_FROM": "badges@example.org",
           "OPENBADGES_NOTIFY_POLL_SECONDS": "0.2"}
    assert _server_cli("migrate", env=env).returncode == 0
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OPENBADGES_")}
    environ.update({"OPENBADGES_SECRET_KEY": SECRET, **env})
    proc = subprocess.Popen([sys.executable, "-c", ENTRY, "send-notifications"], env=environ,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(4)  # started and polling
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "notification sender stopped" in err
