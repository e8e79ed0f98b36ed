"""API tokens on the fleet's shared PostgreSQL: a token made on one hub instance (or by
`borderwatch hub token` on a host pointed at the shared schema) opens every instance, and a
revocation on one holds on all at once. The same store on SQLite behaves the same way."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from borderwatch.hub.api.tokens import Role, TokenError, TokenStore, open_tokens
from borderwatch.hub.config.state import PostgresStateConfig, SqliteStateConfig
from borderwatch.hub.sqldb import open_postgres
from tests.support.postgres import PG_DSN, pg_schema


@pytest.fixture(params=["sqlite", "postgres"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], TokenStore]]:
    """Opens another instance's view of the same tokens on each call."""
    opened: list[TokenStore] = []
    if request.param == "sqlite":
        yield lambda: opened.append(TokenStore(tmp_path / "alerts.sqlite3")) or opened[-1]
    else:
        with pg_schema() as schema:
            yield lambda: opened.append(TokenStore(open_postgres(PG_DSN, schema))) or opened[-1]
    for s in opened:
        s.close()


def test_a_token_made_on_one_instance_opens_the_other_until_revoked(stores) -> None:
    hub_a, hub_b = stores(), stores()
    info, secret = hub_a.create("console", Role.OPERATOR)
    seen = hub_b.verify(secret)
    assert seen is not None and seen.id == info.id and seen.role is Role.OPERATOR
    with pytest.raises(TokenError, match="already"):
        hub_b.create("console", Role.VIEWER)  # one active name across the fleet
    revoked = hub_b.revoke("console")
    assert revoked is not None and revoked.revoked_at is not None
    assert hub_a.verify(secret) is None
    assert hub_a.revoke(str(info.id)) == revoked  # by id: found, already revoked, unchanged
    assert hub_a.revoke("console") is None and hub_a.revoke("999") is None
    _, again = hub_a.create("console", Role.ADMIN)  # a revoked name is free again
    assert [t.name for t in hub_b.list()] == ["console", "console"] and hub_b.verify(again) is not None
    assert hub_b.verify("bwt_" + "x" * 43) is None and hub_b.verify("not-a-token") is None


def test_open_tokens_follows_the_state_section(tmp_path: Path) -> None:
    local = open_tokens(SqliteStateConfig(), tmp_path / "alerts.sqlite3")
    assert not local.shared and (tmp_path / "alerts.sqlite3").exists()
    local.close()
    with pg_schema() as schema:
        shared = open_tokens(PostgresStateConfig(dsn=PG_DSN, schema=schema), tmp_path / "unused.sqlite3")
        assert shared.shared and not (tmp_path / "unused.sqlite3").exists()
        shared.close()


def test_the_token_cli_writes_the_shared_schema(tmp_path: Path) -> None:
    with pg_schema() as schema:
        (tmp_path / "hub.toml").write_text(
            f'[alerts]\ndb_path = "local.sqlite3"\n[state]\ntype = "postgres"\ndsn = "{PG_DSN}"\nschema = "{schema}"\n',
            encoding="utf-8",
        )
        cmd = [sys.executable, "-m", "borderwatch.deploy.cli", "hub", "token", "create", "--role", "admin",
               "--name", "ops", "-c", "hub.toml"]  # fmt: skip
        made = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert made.returncode == 0, made.stderr
        assert "did not exist" not in made.stderr and not (tmp_path / "local.sqlite3").exists()
        other_host = TokenStore(open_postgres(PG_DSN, schema))
        info = other_host.verify(made.stdout.strip())
        assert info is not None and info.name == "ops" and info.role is Role.ADMIN
        other_host.close()
