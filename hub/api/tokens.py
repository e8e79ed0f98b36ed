"""API tokens: who may call the hub's HTTP API, and with which role.

Why only a hash is stored: a copied database file or a backup must not hand out working tokens.
A token carries 256 random bits, so one unsalted SHA-256 suffices (there is nothing to guess
that a salt or a slow hash would protect), and the hash is the lookup key. The table lives beside
the operators' other state: in the alert store's SQLite file on one hub, in the shared PostgreSQL
schema (``[state] type = "postgres"``) when several hubs serve one fleet, so a token made or
revoked on any instance (or by `borderwatch hub token`) holds on every instance at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from pydantic import TypeAdapter

from borderwatch.contract.common import Ident, utc_now
from borderwatch.hub.config.state import PostgresStateConfig, StateConfig
from borderwatch.hub.sqldb import SqlDb, open_postgres, open_sqlite

TOKEN_PREFIX = "bwt_"
"""Marks a string as a borderwatch API token (secret scanners and log redaction can match it)."""

_NAME = TypeAdapter(Ident)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_tokens (
    id {serial},
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS api_tokens_active_name ON api_tokens(name) WHERE revoked_at IS NULL;
"""
_COLUMNS = "id, name, role, created_at, revoked_at"


class Role(StrEnum):
    """What a token may do; each role may do everything the roles below it may."""

    VIEWER = "viewer"  # read alerts, events, agents, evidence, stats
    OPERATOR = "operator"  # + change alert states
    ADMIN = "admin"  # + manage tokens

    def allows(self, needed: Role) -> bool:
        """True when this role is ``needed`` or above it."""
        return _RANK[self] >= _RANK[needed]


_RANK = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


class TokenError(ValueError):
    """A token request that cannot be carried out (bad or taken name)."""


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as the hub knows it: never the secret itself."""

    id: int
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def from_db(cls, r: tuple) -> TokenInfo:
        """From a row of ``_COLUMNS``."""
        revoked = datetime.fromisoformat(r[4]) if r[4] else None
        return cls(int(r[0]), r[1], Role(r[2]), datetime.fromisoformat(r[3]), revoked)


def token_hash(token: str) -> str:
    """What the table keeps of a token (hex SHA-256; surrogates kept so no input raises)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class TokenStore:
    """Tokens in one SQL database (a SQLite file, or the fleet's PostgreSQL schema); thread-safe
    (API handlers verify from uvicorn's threads; the connection's lock serialises them)."""

    def __init__(self, where: Path | str | SqlDb) -> None:
        self._db = where if isinstance(where, SqlDb) else open_sqlite(where)
        self._db.create(_SCHEMA)

    @property
    def shared(self) -> bool:
        """Other hub instances read and write the same tokens."""
        return self._db.dialect == "postgres"

    def close(self) -> None:
        """Close the connection (the hub at stop, the CLI after one command)."""
        self._db.close()

    def create(self, name: str, role: Role) -> tuple[TokenInfo, str]:
        """A new token: its info and the secret, which exists only in this return value."""
        try:
            _NAME.validate_python(name)
        except ValueError:
            raise TokenError(f"token name {name!r}: 1-64 letters, digits, _ . - (a letter or digit first)") from None
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        try:
            with self._db.transaction():
                rows = self._db.fetchall(
                    f"INSERT INTO api_tokens(name, role, sha256, created_at) VALUES (?,?,?,?) RETURNING {_COLUMNS}",
                    (name, role.value, token_hash(secret), utc_now().isoformat()),
                )
        except Exception as exc:
            if _unique_violation(exc):
                raise TokenError(f"an active token is named {name!r} already: revoke it or pick another name") from None
            raise
        return TokenInfo.from_db(rows[0]), secret

    def revoke(self, ref: str) -> TokenInfo | None:
        """Revoke the active token named ``ref``, or the token with id ``ref``; None if there is none."""
        by_id = ref.isdigit()
        where = "id = ?" if by_id else "name = ? AND revoked_at IS NULL"
        with self._db.transaction():
            row = self._db.fetchone(f"SELECT {_COLUMNS} FROM api_tokens WHERE {where}", (int(ref) if by_id else ref,))
            if row is None:
                return None
            if row[4] is None:
                row = self._db.fetchone(f"UPDATE api_tokens SET revoked_at = ? WHERE id = ? RETURNING {_COLUMNS}",
                                        (utc_now().isoformat(), row[0]))  # fmt: skip
        assert row is not None
        return TokenInfo.from_db(row)

    def list(self) -> list[TokenInfo]:
        """Every token ever made, revoked ones included, oldest first."""
        return [TokenInfo.from_db(r) for r in self._db.fetchall(f"SELECT {_COLUMNS} FROM api_tokens ORDER BY id")]

    def verify(self, token: str) -> TokenInfo | None:
        """The active token ``token`` is, or None (unknown, malformed or revoked)."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
            return None
        row = self._db.fetchone(
            f"SELECT {_COLUMNS} FROM api_tokens WHERE sha256 = ? AND revoked_at IS NULL", (token_hash(token),)
        )
        return TokenInfo.from_db(row) if row else None


def open_tokens(state: StateConfig, db_path: Path) -> TokenStore:
    """The tokens of a hub: in the shared PostgreSQL schema when ``[state]`` names one, else in
    the SQLite file ``alerts.db_path`` (the hub and `borderwatch hub token` both call this)."""
    if isinstance(state, PostgresStateConfig):
        return TokenStore(open_postgres(state.dsn, state.schema_name))
    return TokenStore(db_path)


def _unique_violation(exc: Exception) -> bool:
    """A UNIQUE constraint refused the row (sqlite3 and psycopg both name it IntegrityError)."""
    return any(c.__name__ == "IntegrityError" for c in type(exc).__mro__)
