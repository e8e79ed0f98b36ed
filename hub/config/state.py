"""The ``[state]`` section: where the alert state and the delivery ledger live (``type`` = ...).

SQLite (the default) keeps them in the files named by ``alerts.db_path`` and
``delivery.ledger_path``; PostgreSQL keeps both in one database, so several hub instances
sharing the MQTT load (``delivery.shared_group``) share one alert state and one ledger (and
tokens, agent health, zone membership and, with the InfluxDB store, the owners of event ids).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class SqliteStateConfig(BaseModel):
    """One hub, local files (``alerts.db_path``, ``delivery.ledger_path``)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["sqlite"] = Field(default="sqlite", description="backend selector")


class PostgresStateConfig(BaseModel):
    """Several hubs, one PostgreSQL database (psycopg 3)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["postgres"] = Field(default="postgres", description="backend selector")
    dsn: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        min_length=1,
        max_length=1024,
        description="libpq connection string; put a password in ~/.pgpass or PGPASSWORD, not here",
    )
    schema_name: str = Field(
        default="borderwatch",
        alias="schema",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="schema holding the tables (created if missing); every instance of one fleet uses the same",
    )


StateConfig = Annotated[SqliteStateConfig | PostgresStateConfig, Field(discriminator="type")]
"""What ``[state]`` holds; ``type`` picks the backend, unknown keys of either are refused."""
