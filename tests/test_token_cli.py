"""`borderwatch hub token create|list|revoke` as an operator runs it: a subprocess on a real SQLite
file; the created token then opens (and, revoked, no longer opens) the API of a hub on that file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from borderwatch.hub.api.tokens import TOKEN_PREFIX, TokenStore


def bw(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "borderwatch.deploy.cli", "hub", "token", *args, "-c", "hub.toml"]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.fixture
def hub_dir(tmp_path: Path) -> Path:
    (tmp_path / "hub.toml").write_text('[alerts]\ndb_path = "state/alerts.sqlite3"\n', encoding="utf-8")
    return tmp_path


def test_create_list_revoke_round_trip(hub_dir: Path) -> None:
    made = bw("create", "--role", "operator", "--name", "console", cwd=hub_dir)
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert made.stdout == secret + "\n" and secret.startswith(TOKEN_PREFIX)  # the token and nothing else
    assert secret not in made.stderr and "console" in made.stderr
    assert "did not exist" in made.stderr  # a wrong working directory would show here
    db = hub_dir / "state" / "alerts.sqlite3"
    assert secret.encode() not in b"".join(p.read_bytes() for p in db.parent.iterdir())

    store = TokenStore(db)
    info = store.verify(secret)
    assert info is not None and info.name == "console" and info.role.value == "operator"

    listed = bw("list", cwd=hub_dir)
    assert listed.returncode == 0 and "console" in listed.stdout and "operator" in listed.stdout
    assert "did not exist" not in listed.stderr
    assert secret not in listed.stdout + listed.stderr

    again = bw("create", "--role", "viewer", "--name", "console", cwd=hub_dir)
    assert again.returncode == 1 and again.stdout == "" and "already" in again.stderr

    revoked = bw("revoke", "console", cwd=hub_dir)
    assert revoked.returncode == 0 and "console" in revoked.stdout
    assert store.verify(secret) is None
    assert bw("revoke", "console", cwd=hub_dir).returncode == 1  # no active token of that name left
    assert bw("revoke", str(info.id), cwd=hub_dir).returncode == 0  # by id: already revoked, still found

    reused = bw("create", "--role", "admin", "--name", "console", cwd=hub_dir)  # a revoked name is free again
    assert reused.returncode == 0 and store.verify(reused.stdout.strip()) is not None
    store.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "--role", "root", "--name", "x"], "invalid choice"),
        (["create", "--role", "viewer", "--name", "bad name"], "token name"),
        (["create", "--role", "viewer"], "--name"),
    ],
)
def test_bad_requests_print_nothing_on_stdout(hub_dir: Path, args: list[str], message: str) -> None:
    out = bw(*args, cwd=hub_dir)
    assert out.returncode != 0 and out.stdout == "" and message in out.stderr
