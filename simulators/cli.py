"""`borderwatch sim ...`: serve simulated cameras, list scenarios, render frames with labels.

sim scenarios                                   list the presets
sim camera  --scenario S --camera cam-1 --port 8601
sim thermal --scenario S --thermal th-1 --port 8701
sim site    --scenario S --base-port 8601 --truth truth.jsonl [--seconds N]
sim render  --scenario S --camera cam-1 --frames 20 --out DIR
sim radar   --scenario S --protocol nmea|ti|asterix [--device PATH | --udp HOST:PORT] [--fault kind@start+dur]
sim score   --truth truth.jsonl --events-db events.sqlite3 --alerts-db alerts.sqlite3
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import cv2

from borderwatch.runtime.configfile import ConfigError

log = logging.getLogger("borderwatch.sim")


def _scenario_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", default="border-crossing", help="preset name or TOML file (default %(default)s)")


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `sim` command and its subcommands to a parent parser's subparsers."""
    sim = subparsers.add_parser(
        "sim",
        help="device simulators (cameras) and scenarios",
        description="Serve simulated cameras of a scenario world, list scenarios, "
        "render frames with ground-truth labels.",
    )
    sub = sim.add_subparsers(dest="sim_command", required=True)
    p = sub.add_parser("scenarios", help="list the built-in scenarios")
    p.set_defaults(func=cmd_scenarios)
    p = sub.add_parser("camera", help="serve one camera of a scenario as HTTP MJPEG (and RTSP)")
    _scenario_arg(p)
    p.add_argument("--camera", default=None, help="camera id (default: the first)")
    _serve_args(p, "--port", 8601)
    p.set_defaults(func=cmd_camera)
    p = sub.add_parser("thermal", help="serve one thermal imager of a scenario as the Y16 TCP stream")
    _scenario_arg(p)
    p.add_argument("--thermal", default=None, help="imager id (default: the first)")
    _serve_args(p, "--port", 8701)
    p.set_defaults(func=cmd_thermal)
    p = sub.add_parser("site", help="serve every camera and thermal imager of a scenario; print URLs; write truth")
    _scenario_arg(p)
    _serve_args(p, "--base-port", 8601)
    p.add_argument("--truth", type=Path, default=None, help="write crossings ground truth here (JSON lines)")
    p.set_defaults(func=cmd_site)
    p = sub.add_parser("render", help="write N frames and their labels to a folder")
    _scenario_arg(p)
    p.add_argument("--camera", default=None, help="camera id (default: the first)")
    p.add_argument("--frames", type=int, default=20, help="how many frames (default %(default)s)")
    p.add_argument("--start", type=float, default=0.0, help="scenario time of the first frame, s")
    p.add_argument("--every", type=float, default=None, help="seconds between frames (default: 1/fps)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.set_defaults(func=cmd_render)
    from borderwatch.simulators.radar.cli import add_parser as add_radar
    from borderwatch.simulators.score.cli import add_parser as add_score

    add_radar(sub)
    add_score(sub)
    return sim


def _serve_args(p: argparse.ArgumentParser, port_flag: str, default: int) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    p.add_argument(port_flag, type=int, default=default, help="TCP port (default %(default)s; 0 = any free)")
    p.add_argument("--loop", action="store_true", help="replay the scenario when it ends")
    p.add_argument("--speed", type=float, default=1.0, help="scenario seconds per wall second")
    p.add_argument("--seconds", type=float, default=None, help="stop after this many seconds (default: Ctrl-C)")
    p.add_argument(
        "--rtsp-port",
        type=int,
        default=None,
        help="also serve RTSP (RTP/JPEG over TCP) from this port up (0 = any free; default: MJPEG only)",
    )


def _load(name: str) -> object:
    from borderwatch.simulators.scenario import load_scenario

    return load_scenario(name)


def cmd_scenarios(args: argparse.Namespace) -> int:
    """Print one line per preset (site, lighting, length, actors, cameras) to choose a --scenario from."""
    from borderwatch.simulators.presets import PRESETS

    for name, make in PRESETS.items():
        s = make()
        cams = ", ".join(f"{c.id} {c.width}x{c.height}@{c.fps:g}" for c in s.cameras)
        print(f"{name:24s} site={s.site} {s.lighting} {s.duration_s:g}s actors={len(s.actors)} cameras: {cams}")
    return 0


def _run_site(
    args: argparse.Namespace, cameras: list[str] | None, base_port: int, thermals: list[str] | None = None
) -> int:
    from borderwatch.simulators.site import Site

    site = Site(_load(args.scenario), args.host, base_port, args.loop, args.speed, args.rtsp_port)
    site.start(cameras, thermals)
    urls = [*site.urls().items(), *site.rtsp_urls().items(), *site.thermal_urls().items()]
    for cam, url in [*urls, *site.radar_targets().items()]:
        print(f"{cam} {url}", flush=True)
    if getattr(args, "truth", None):
        n = site.write_truth(args.truth)
        print(f"ground truth: {n} crossings -> {args.truth}", flush=True)
    try:
        serve_for(args.seconds)
    finally:
        site.stop()
    return 0


def serve_for(seconds: float | None) -> None:
    """Block for ``seconds`` (None: until Ctrl-C), while device servers run on their own threads."""
    try:
        deadline = time.monotonic() + seconds if seconds else None
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass


def cmd_camera(args: argparse.Namespace) -> int:
    """Serve one camera (default: the scenario's first) until --seconds or Ctrl-C.

    An unknown --camera raises KeyError before any port opens (run() turns it into exit 2).
    """
    scn = _load(args.scenario)
    cam = args.camera or scn.cameras[0].id
    scn.camera(cam)
    return _run_site(args, [cam], args.port)


def cmd_thermal(args: argparse.Namespace) -> int:
    """Serve one thermal imager (default: the scenario's first) until --seconds or Ctrl-C."""
    scn = _load(args.scenario)
    if not scn.thermals:
        raise KeyError(f"scenario {scn.name!r} has no thermal imagers")
    imager = args.thermal or scn.thermals[0].id
    if imager not in {t.id for t in scn.thermals}:
        raise KeyError(f"no thermal imager {imager!r} in scenario {scn.name!r}: {[t.id for t in scn.thermals]}")
    index = [t.id for t in scn.thermals].index(imager)  # the site puts imager k after the cameras
    return _run_site(args, [], args.port - len(scn.cameras) - index if args.port else 0, [imager])


def cmd_site(args: argparse.Namespace) -> int:
    """Serve every camera on ports from --base-port up on one clock, print the URLs, write --truth, then block."""
    return _run_site(args, None, args.base_port)


def cmd_render(args: argparse.Namespace) -> int:
    """Write --frames JPEGs of one camera with labels.jsonl (boxes) and crossings.jsonl, offline.

    No server and no clock: the crossings carry scenario seconds only (no UTC ``ts``).
    """
    from borderwatch.simulators.camera.render import CameraRenderer
    from borderwatch.simulators.site import truth_records
    from borderwatch.simulators.truth import write_jsonl

    scn = _load(args.scenario)
    r = CameraRenderer(scn, args.camera or scn.cameras[0].id)
    step = args.every or 1.0 / r.spec.fps
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for k in range(args.frames):
        t = args.start + k * step
        res = r.render(t)
        name = f"frame_{k:05d}.jpg"
        cv2.imwrite(str(args.out / name), res.frame)
        boxes = [
            {
                "id": str(i),
                "class": ["person", "vehicle", "animal"][int(c)],
                "xyxy": [round(float(v), 1) for v in b],
            }
            for i, c, b in zip(res.ids, res.class_id, res.xyxy, strict=True)
        ]
        rows.append({"frame": name, "t_s": round(t, 3), "camera": r.spec.id, "boxes": boxes})
    write_jsonl(args.out / "labels.jsonl", rows)
    write_jsonl(args.out / "crossings.jsonl", truth_records(scn, r.world))
    print(f"wrote {args.frames} frames, labels.jsonl and crossings.jsonl to {args.out}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Dispatch a parsed `sim` command; a bad scenario file is one clear message, exit 2."""
    import cv2

    cv2.setNumThreads(1)  # its pool busy-waits: twice the CPU on small frames, taken from the agent beside us
    try:
        return int(args.func(args))
    except (ConfigError, KeyError) as exc:
        print(f"error: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # port in use, unwritable output folder
        print(f"error: {exc}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    """`python -m borderwatch.simulators.cli sim ...`: the sim commands without the installed CLI."""
    ap = argparse.ArgumentParser(prog="borderwatch")
    register(ap.add_subparsers(dest="command", required=True))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
