"""How to reach the broker that carries the contract: the one settings model both sides read.

Secrets never sit in the model's printable form: ``password`` is a SecretStr, and the
``password_env`` / ``password_file`` indirections keep them out of config files altogether.
They are resolved by the process at start-up (I/O stays out of validation);
``borderwatch.runtime.mqtt`` applies the settings to a client.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class TlsConfig(BaseModel):
    """TLS towards the broker: whom to trust, and our own certificate when the broker wants mutual TLS."""

    model_config = ConfigDict(extra="forbid")

    ca_file: Path | None = Field(default=None, description="CA bundle; system CAs when unset")
    cert_file: Path | None = Field(default=None, description="client certificate (mutual TLS)")
    key_file: Path | None = None
    insecure: bool = Field(default=False, description="skip host-name check (lab use only)")


class BrokerConfig(BaseModel):
    """MQTT broker connection."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", min_length=1, max_length=253)
    port: int = Field(default=1883, ge=1, le=65535)
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    username: str | None = Field(default=None, max_length=128)
    password: SecretStr | None = None
    password_env: str | None = Field(default=None, description="environment variable holding the password")
    password_file: Path | None = Field(default=None, description="file holding the password")
    tls: TlsConfig | None = None
    reconnect_min_s: float = Field(default=0.5, gt=0, le=60)
    reconnect_max_s: float = Field(default=30.0, gt=0, le=600)

    def resolve_password(self) -> str | None:
        """The password from config, environment or file; called at start-up, never logged.

        Raises ValueError naming the key when the variable is unset or the file unreadable.
        """
        if self.password is not None:
            return self.password.get_secret_value()
        if self.password_env is not None:
            value = os.environ.get(self.password_env)
            if value is None:
                raise ValueError(f"broker.password_env: environment variable {self.password_env} is not set")
            return value
        if self.password_file is not None:
            try:
                return self.password_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ValueError(f"broker.password_file: cannot read {self.password_file}: {exc.strerror}") from None
        return None

    @model_validator(mode="after")
    def _one_password_source(self) -> BrokerConfig:
        given = [n for n in ("password", "password_env", "password_file") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError(f"give at most one of password, password_env, password_file (got {given})")
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be >= reconnect_min_s")
        return self


class SessionConfig(BaseModel):
    """The persistent-session settings both links read (agent ``[link]``, hub ``[delivery]``)."""

    model_config = ConfigDict(extra="forbid")

    mqtt_version: Literal["3.1.1", "5"] = Field(
        default="5",
        description="MQTT protocol: '5' for session expiry, receive maximum and shared subscriptions; "
        "'3.1.1' for brokers without v5 such as the embedded amqtt",
    )
    session_expiry_s: int = Field(
        default=7 * 86_400,
        ge=60,
        le=0xFFFFFFFF,
        description="MQTT v5: how long the broker keeps our session, and queues for us, while we are away",
    )
