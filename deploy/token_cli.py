"""``borderwatch hub token create|list|revoke``: API tokens in the hub's database.

Why stdout carries the secret and nothing else: ``TOKEN=$(borderwatch hub token create ...)``
must capture exactly the token; everything meant for a human goes to stderr. The secret is
shown this once; the hub keeps only its hash.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROLES = ("viewer", "operator", "admin")


def _store(config: Path):  # noqa: ANN202 (the import is deferred: --help stays instant)
    from borderwatch.hub.api.tokens import open_tokens
    from borderwatch.hub.config import load_hub_config
    from borderwatch.hub.config.state import SqliteStateConfig

    cfg = load_hub_config(config)
    path = Path(cfg.alerts.db_path)
    if isinstance(cfg.state, SqliteStateConfig) and not path.exists():
        print(f"note: {path.resolve()} did not exist and is created now; the hub must open the same file "
              "(a relative [alerts] db_path is relative to the working directory)", file=sys.stderr)  # fmt: skip
    return open_tokens(cfg.state, path)


def _create(args: argparse.Namespace) -> int:
    from borderwatch.hub.api.tokens import Role, TokenError

    store = _store(args.config)
    try:
        info, secret = store.create(args.name, Role(args.role))
    except TokenError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        store.close()
    print(secret, flush=True)
    print(f"created token id={info.id} name={info.name} role={info.role.value}: shown once, keep it safe",
          file=sys.stderr)  # fmt: skip
    return 0


def _list(args: argparse.Namespace) -> int:
    store = _store(args.config)
    try:
        rows = store.list()
    finally:
        store.close()
    print(f"{'id':>4}  {'name':24} {'role':9} {'created':20} revoked")
    for t in rows:
        revoked = f"{t.revoked_at:%Y-%m-%d %H:%M:%S}" if t.revoked_at else "-"
        print(f"{t.id:>4}  {t.name:24} {t.role.value:9} {t.created_at:%Y-%m-%d %H:%M:%S}  {revoked}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    store = _store(args.config)
    try:
        info = store.revoke(args.token)
    finally:
        store.close()
    if info is None:
        print(f"no active token named {args.token!r} and no token with that id", file=sys.stderr)
        return 1
    print(f"revoked token id={info.id} name={info.name} role={info.role.value}")
    return 0


def register(hub_commands: argparse._SubParsersAction, config_default: str) -> None:
    """Adds ``token`` with its subcommands under ``borderwatch hub``."""
    p = hub_commands.add_parser("token", help="API tokens: create (printed once), list, revoke")
    sub = p.add_subparsers(dest="token_cmd", required=True, metavar="{create,list,revoke}")
    create = sub.add_parser("create", help="create a token; only the token goes to stdout")
    create.add_argument("--role", required=True, choices=ROLES, help="viewer < operator < admin")
    create.add_argument("--name", required=True, help="who or what uses it (unique among active tokens)")
    create.set_defaults(func=_create)
    listing = sub.add_parser("list", help="list tokens (never their secrets)")
    listing.set_defaults(func=_list)
    revoke = sub.add_parser("revoke", help="revoke a token by name or id")
    revoke.add_argument("token", help="the token's name or id (as `token list` shows)")
    revoke.set_defaults(func=_revoke)
    for q in (create, listing, revoke):
        q.add_argument(
            "-c", "--config", type=Path, default=Path(config_default), help=f"hub TOML (default {config_default})"
        )
