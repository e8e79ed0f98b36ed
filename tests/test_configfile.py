"""Config files: bad ones are refused with one paragraph naming file, key path, value and reason."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from borderwatch.runtime.configfile import ConfigError, load_config


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fps: int = Field(default=5, ge=1, le=60)


class Root(BaseModel):
    model_config = ConfigDict(extra="forbid")
    site: str = "west-1"
    cameras: dict[str, Inner] = Field(default_factory=dict)


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("[cameras.cam1]\nfsp = 5\n", ["cameras.cam1.fsp = 5", "unknown key", "did you mean 'fps'"]),
        ("[cameras.cam1]\nfps = 500\n", ["cameras.cam1.fps = 500", "less than or equal to 60"]),
        ('site = "x"\nsite = "y"\n', ["invalid TOML"]),
        ("[cameras.cam1]\nfps = 'fast'\n", ["cameras.cam1.fps = 'fast'", "valid integer"]),
    ],
)
def test_bad_config_message(tmp_path: Path, text: str, needles: list[str]) -> None:
    path = tmp_path / "agent.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path, Root)
    message = str(info.value)
    assert str(path) in message
    for needle in needles:
        assert needle in message
    assert "Traceback" not in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.toml", Root)


def test_good_config(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text("[cameras.cam1]\nfps = 10\n")
    assert load_config(path, Root).cameras["cam1"].fps == 10


class Sqlite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["sqlite"] = "sqlite"
    path: str = "x"


class Influx(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["influxdb"] = "influxdb"
    batch_size: int = Field(default=10, ge=1, le=100)


class WithUnion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    store: Annotated[Sqlite | Influx, Field(discriminator="type")] = Field(default_factory=Sqlite)


def test_discriminated_union_error_names_the_file_path(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text('[store]\ntype = "influxdb"\nbatch_size = 0\n')
    with pytest.raises(ConfigError, match=r"store\.batch_size = 0: Input should be greater than or equal to 1"):
        load_config(path, WithUnion)


def test_credentials_in_a_bad_value_are_redacted(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text('[cameras.cam1]\nfps = "rtsp://admin:hunter2@10.0.0.5/stream"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, Root)
    assert "hunter2" not in str(info.value) and "rtsp://***@10.0.0.5" in str(info.value)
