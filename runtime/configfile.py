"""Load a TOML config file into a pydantic model, or fail with one readable paragraph.

Why here and not in the models: validation stays pure (no I/O), and the one place that reads
files is also the one place that knows the file name to put in the error.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from borderwatch.runtime.redact import redact

M = TypeVar("M", bound=BaseModel)


class ConfigError(Exception):
    """A config file that cannot be used; ``str()`` is the message for the operator."""


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _lookup(data: Any, loc: tuple[Any, ...]) -> tuple[bool, Any]:
    cur = data
    for part in loc:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return False, None
    return True, cur


def _known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names valid at ``loc``'s parent, for a did-you-mean hint (best effort)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or current is None:
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            continue  # a dict key or list index: the value model is already current
        ann = fields[part].annotation
        args = getattr(ann, "__args__", ()) or ()
        current = next((a for a in (*args, ann) if isinstance(a, type) and issubclass(a, BaseModel)), None)
    fields = getattr(current, "model_fields", None) if current else None
    return [f.alias or name for name, f in fields.items()] if fields else []


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop the tags pydantic inserts for discriminated unions (``store.influxdb.url`` -> ``store.url``)."""
    out, cur = [], data
    for part in loc:
        if isinstance(cur, dict) and part not in cur and cur.get("type") == part:
            continue
        out.append(part)
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            cur = None
    return tuple(out)


def _describe(err: dict[str, Any], data: Any, model: type[BaseModel]) -> str:
    loc = _data_path(data, tuple(err["loc"]))
    found, value = _lookup(data, loc)
    shown = f" = {redact(repr(value))}" if found and not isinstance(value, dict | list) else ""
    if err["type"] == "extra_forbidden":
        hint = difflib.get_close_matches(str(loc[-1]), _known_keys(model, loc), n=1)
        why = "unknown key" + (f" (did you mean {hint[0]!r}?)" if hint else "")
    elif err["type"] == "missing":
        why = "required key is missing"
    else:
        why = err["msg"]
    return f"  {_path(loc)}{shown}: {why}"


def format_validation_error(source: str, exc: ValidationError, data: Any, model: type[BaseModel]) -> str:
    """One paragraph an operator can act on: each error with its key path, the value given and a "did you mean"."""
    lines = [_describe(e, data, model) for e in exc.errors(include_url=False)]
    noun = "error" if len(lines) == 1 else "errors"
    return f"config {source}: {len(lines)} {noun}, nothing was started:\n" + "\n".join(lines)


def parse_config(data: dict[str, Any], model: type[M], source: str = "<memory>") -> M:
    """Validate already-parsed ``data`` (tests, merged dicts); raises ConfigError, never pydantic's ValidationError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(source, exc, data, model)) from None


def load_config(path: str | Path, model: type[M]) -> M:
    """Read and validate ``path``; every failure becomes a ConfigError naming file, key and value."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"config {path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"config {path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {path}: invalid TOML: {exc}") from None
    return parse_config(data, model, str(path))
