"""The ``[api]`` section of the hub config: where the HTTP API listens and who may reach it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


class ApiConfig(BaseModel):
    """The operators' HTTP API. Every route but ``/health`` needs a token (``borderwatch hub token``)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="false = ingest and alerting only")
    host: str = Field(default="127.0.0.1", min_length=1, max_length=253, description="listen address")
    port: int = Field(default=8080, ge=1, le=65535, description="listen port")
    trusted_hosts: list[str] = Field(
        default_factory=list,
        max_length=64,
        description="Host headers answered (e.g. hub.example.org, *.example.org); empty = localhost, "
        "127.0.0.1, ::1 and `host`. Anything else gets 400: a shield against DNS rebinding",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        max_length=64,
        description="browser origins allowed to call the API from their pages (https://console.example.org); "
        "empty = no cross-origin calls at all",
    )
    docs: bool = Field(default=True, description="serve the interactive API docs at /docs (assets served locally)")
    metrics_token_file: Path | None = Field(
        default=None, description="file holding a token a Prometheus scraper sends for /metrics (besides viewer tokens)"
    )
    ssl_certfile: Path | None = Field(default=None, description="PEM certificate (chain): serve HTTPS, not HTTP")
    ssl_keyfile: Path | None = Field(default=None, description="PEM private key of ssl_certfile")

    @model_validator(mode="after")
    def _tls_pair(self) -> ApiConfig:
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("api.ssl_certfile and api.ssl_keyfile go together: give both or neither")
        return self

    @property
    def tls(self) -> bool:
        """The API serves HTTPS itself."""
        return self.ssl_certfile is not None

    def allowed_hosts(self) -> list[str]:
        """The configured list, or loopback names plus the bind address."""
        return list(self.trusted_hosts) or [*LOOPBACK_HOSTS, *([self.host] if self.host not in LOOPBACK_HOSTS else [])]
