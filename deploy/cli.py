"""The ``borderwatch`` command: one entry point, a subcommand per job.

Imports of heavy parts (OpenCV, onnxruntime, FastAPI) happen inside the subcommand that needs
them, so ``--help`` is instant and a hub machine never loads the agent's libraries.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from borderwatch.deploy import credentials
from borderwatch.runtime.configfile import ConfigError
from borderwatch.runtime.logs import setup_logging
from borderwatch.runtime.redact import redact

Handler = Callable[[argparse.Namespace], int]


def _version() -> str:
    try:
        return version("borderwatch")
    except PackageNotFoundError:
        return "0+unknown"


def _edge_run(args: argparse.Namespace) -> int:
    from borderwatch.edge.agent import run_agent

    return run_agent(args.config)


def _edge_check(args: argparse.Namespace) -> int:
    from borderwatch.edge.config.agent import load_agent_config

    cfg = load_agent_config(args.config)
    sensors = ", ".join(f"{len(v)} {k}" for k, v in cfg.sensor_sections().items() if v)
    print(f"config {args.config}: ok (site {cfg.site}, agent {cfg.agent}, sensors: {sensors})")
    return 0


def _edge_init(args: argparse.Namespace) -> int:
    from borderwatch.edge.config.example import EXAMPLE

    return _write_example(args.output, EXAMPLE, args.force)


def _edge_doctor(args: argparse.Namespace) -> int:
    from borderwatch.edge.doctor import run_doctor

    return run_doctor(args.config)


def _hub_run(args: argparse.Namespace) -> int:
    from borderwatch.hub.app import run_hub

    return run_hub(args.config)


def _hub_check(args: argparse.Namespace) -> int:
    from borderwatch.hub.config import load_hub_config

    cfg = load_hub_config(args.config)
    print(f"config {args.config}: ok (hub {cfg.hub_id}, store {cfg.store.type})")
    return 0


def _hub_init(args: argparse.Namespace) -> int:
    from borderwatch.hub.config.example import EXAMPLE

    return _write_example(args.output, EXAMPLE, args.force)


def _write_example(path: Path, text: str, force: bool) -> int:
    if path.exists() and not force:
        print(f"{path} exists; use --force to overwrite", file=sys.stderr)
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}: edit it, then check it with the matching `check -c {path}`")
    return 0


def _broker(args: argparse.Namespace) -> int:
    if getattr(args, "broker_command", None) == "credentials":
        from borderwatch.deploy.credentials import run_credentials

        return run_credentials(args)
    from borderwatch.deploy.broker import run_broker

    return run_broker(args.host, args.port, args.password_file, args.allow_anonymous, args.acl_file)


def _demo(args: argparse.Namespace) -> int:
    from borderwatch.deploy.demo import run_demo

    return run_demo(seconds=args.seconds, scenario=args.scenario, workdir=args.workdir)


def _eval(args: argparse.Namespace) -> int:
    from datetime import datetime

    from borderwatch.deploy.eval_run import library, run_eval

    scenarios = args.scenario or library(ci_only=args.ci)
    if args.rescore and args.out is None:
        print("--rescore needs --out (the folder of an earlier eval)", file=sys.stderr)
        return 2
    out = args.out or Path(".eval") / datetime.now().strftime("%Y%m%d-%H%M%S")
    return run_eval(scenarios, out, rescore=args.rescore)


def _schema(args: argparse.Namespace) -> int:
    from borderwatch.contract.schema import write

    for path in write(args.output) if args.output else write():
        print(path)
    return 0


def _track(args: argparse.Namespace) -> int:
    from borderwatch.edge.tools.track_cli import main

    return main(args.rest)


def _detect(args: argparse.Namespace) -> int:
    from borderwatch.edge.tools.detect_cli import main

    return main(args.rest)


def _radar(args: argparse.Namespace) -> int:
    from borderwatch.edge.tools.radar_cli import main

    return main(args.rest)


def _add_config(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument("-c", "--config", type=Path, default=Path(default), help=f"TOML config (default {default})")


def _add_init(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument("-o", "--output", type=Path, default=Path(default), help=f"where to write (default {default})")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")


Sub = tuple[str, str, Handler, Callable[[argparse.ArgumentParser, str], None]]


def _group(
    sub: argparse._SubParsersAction, name: str, help_text: str, config: str, cmds: list[Sub]
) -> argparse._SubParsersAction:
    """One command with subcommands that each take a config file (or an output path for init)."""
    group = sub.add_parser(name, help=help_text)
    gs = group.add_subparsers(dest=f"{name}_cmd", required=True)
    for cmd, cmd_help, func, add_args in cmds:
        p = gs.add_parser(cmd, help=cmd_help)
        add_args(p, config)
        p.set_defaults(func=func)
    return gs


def _edge_parser(sub: argparse._SubParsersAction) -> None:
    _group(
        sub,
        "edge",
        "the mast agent: run, check, init, doctor",
        "agent.toml",
        [
            ("run", "run the agent: read sensors, detect, track, publish events", _edge_run, _add_config),
            ("check", "validate an agent config and exit (nothing is started)", _edge_check, _add_config),
            ("init", "write a commented example agent config", _edge_init, _add_init),
            ("doctor", "check a mast on site: config, broker, cameras, models, disk, clock", _edge_doctor, _add_config),
        ],
    )


def _hub_parser(sub: argparse._SubParsersAction) -> None:
    from borderwatch.deploy.token_cli import register

    hub = _group(
        sub,
        "hub",
        "the coordination-centre hub: run, check, init, token",
        "hub.toml",
        [
            ("run", "run the hub: ingest, store, alerts, API", _hub_run, _add_config),
            ("check", "validate a hub config and exit", _hub_check, _add_config),
            ("init", "write a commented example hub config", _hub_init, _add_init),
        ],
    )
    register(hub, "hub.toml")


def _tool_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("broker", help="run the embedded MQTT broker (single machine, demo)")
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=1883, help="listen port (default 1883)")
    p.add_argument("--password-file", type=Path, default=None, help="users and $7$ hashes (Mosquitto format)")
    p.add_argument("--allow-anonymous", action="store_true", help="no credentials; refused unless on loopback")
    p.add_argument("--acl-file", type=Path, default=None, help="Mosquitto ACL, e.g. deploy/mosquitto/borderwatch.acl")
    p.set_defaults(func=_broker)
    credentials.register(p)
    p = sub.add_parser("demo", help="run broker, hub, a simulated site and its agent; stream alerts")
    p.add_argument("--seconds", type=float, default=180.0, help="stop after this long (default 180)")
    p.add_argument("--scenario", default="border-crossing", help="scenario preset or TOML file")
    p.add_argument("--workdir", type=Path, default=None, help="where configs, stores and logs go")
    p.set_defaults(func=_demo)
    p = sub.add_parser("eval", help="play the scenario library through the pipeline; score it against the floors")
    p.add_argument("--scenario", type=Path, action="append", help="a scenario file (repeatable; default: library)")
    p.add_argument("--ci", action="store_true", help="only the short scenarios marked for CI")
    p.add_argument("--out", type=Path, default=None, help="results folder (default .eval/<time>)")
    p.add_argument("--rescore", action="store_true", help="score the runs already in --out again, play nothing")
    p.set_defaults(func=_eval)
    p = sub.add_parser("schema", help="write the wire contract's JSON Schema (default docs/contract/)")
    p.add_argument("output", nargs="?", type=Path, default=None)
    p.set_defaults(func=_schema)
    p = sub.add_parser(
        "track", help="track MOTChallenge detections: borderwatch track DET.txt [-o OUT]", add_help=False
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_track)
    p = sub.add_parser("detect", help="run a model on an image or video, print JSON lines", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_detect)
    p = sub.add_parser(
        "radar", help="radar tools: borderwatch radar decode --format nmea|ti|asterix FILE", add_help=False
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_radar)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="borderwatch",
        description="Border surveillance: mast agents (camera, thermal, radar) -> MQTT -> coordination hub.",
        epilog="Start with `borderwatch demo`, or `borderwatch edge init` / `borderwatch hub init`.",
    )
    parser.add_argument("--version", action="version", version=f"borderwatch {_version()}")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    parser.add_argument("--log-format", default="kv", choices=["kv", "json"], help="key=value or JSON lines")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _edge_parser(sub)
    _hub_parser(sub)
    _sim_parser(sub)
    _tool_parsers(sub)
    return parser


def _sim_parser(sub: argparse._SubParsersAction) -> None:
    try:
        from borderwatch.simulators.cli import register
    except ImportError:  # the sim extra is not installed on this machine
        return
    register(sub)


def _quiet_native_logs() -> None:
    """FFmpeg and OpenCV write to stderr themselves, past our redaction: keep them to errors only."""
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")


def main(argv: Sequence[str] | None = None) -> int:
    _quiet_native_logs()
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if getattr(args, "rest", None) is not None:  # track / detect / radar parse their own arguments
        args.rest = extra + args.rest
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    setup_logging(args.log_level, args.log_format)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(redact(str(exc)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception:  # through the redacting log handler: a library's error may quote a URL with its password
        logging.getLogger("borderwatch.cli").exception("failed")
        return 1


if __name__ == "__main__":
    sys.exit(main())
