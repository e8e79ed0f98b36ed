"""The base of every agent settings model: unknown keys are refused, values are frozen after validation.

Why one base: a typo in a config file (``fsp = 5``) must stop the agent at start with the path of the
key, never be ignored; and settings passed down by constructors must not change under a running stage.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Settings(BaseModel):
    """Strict (``extra="forbid"``) and frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
