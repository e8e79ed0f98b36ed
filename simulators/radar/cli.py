"""``borderwatch sim radar --protocol nmea|ti|asterix``: serve one simulated radar of a scenario.

Serial protocols go to a pseudo-terminal whose path (``--device``, default a temporary path) is
printed, for the agent's ``device``; ASTERIX goes to ``--udp HOST:PORT``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from borderwatch.simulators.radar.faults import KINDS, Fault


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The ``radar`` subcommand of ``sim``."""
    p = sub.add_parser("radar", help="serve one simulated radar (NMEA or TI on a pty, ASTERIX over UDP)")
    p.add_argument("--scenario", default="border-crossing", help="preset name or TOML file (default %(default)s)")
    p.add_argument("--protocol", required=True, choices=("nmea", "ti", "asterix"))
    p.add_argument("--device", type=Path, default=None, help="serial: path of the pty link (default: a temp path)")
    p.add_argument("--udp", default="127.0.0.1:8600", help="asterix: HOST:PORT to send to (default %(default)s)")
    p.add_argument("--east", type=float, default=0.0, help="radar position, metres east of the site origin")
    p.add_argument("--north", type=float, default=0.0, help="radar position, metres north of the site origin")
    p.add_argument("--heading", type=float, default=0.0, help="boresight azimuth, degrees from north")
    p.add_argument("--max-range", type=float, default=2000.0, help="instrumented range, metres")
    p.add_argument("--clutter", type=float, default=1.0, help="false plots per scan (Poisson mean)")
    p.add_argument("--seed", type=int, default=0, help="noise, clutter and dropouts derive from it")
    p.add_argument("--speed", type=float, default=1.0, help="scenario seconds per wall second")
    p.add_argument("--loop", action="store_true", help="replay the scenario when it ends")
    p.add_argument("--seconds", type=float, default=None, help="stop after this many seconds (default: Ctrl-C)")
    p.add_argument("--heatmap", action="store_true",
                   help="ti: send the range-Doppler heat map and azimuth samples instead of detected points "
                        "(128 range bins of 0.5 m, 16 Doppler bins of 0.5 m/s, 8 virtual antennas)")  # fmt: skip
    p.add_argument("--fault", action="append", default=[], type=Fault.parse,
                   help=f"inject kind@start+duration; kinds: {', '.join(KINDS)} (repeatable)")  # fmt: skip
    p.set_defaults(func=cmd_radar)


def cmd_radar(args: argparse.Namespace) -> int:
    """Serve until --seconds or Ctrl-C; prints the device path or UDP target first."""
    from borderwatch.simulators.cli import serve_for
    from borderwatch.simulators.radar.heatmap import MapGeometry
    from borderwatch.simulators.radar.render import RadarSpec
    from borderwatch.simulators.radar.server import PtyLink, RadarSimulator, UdpLink
    from borderwatch.simulators.scenario import load_scenario
    from borderwatch.simulators.world import World

    world = World(load_scenario(args.scenario))
    spec = RadarSpec(args.east, args.north, args.heading % 360.0, max_range_m=args.max_range,
                     clutter_per_scan=args.clutter)  # fmt: skip
    link: PtyLink | UdpLink
    if args.protocol == "asterix":
        host, _, port = args.udp.rpartition(":")
        link = UdpLink(host or "127.0.0.1", int(port))
        print(f"radar asterix udp://{link.addr[0]}:{link.addr[1]}", flush=True)
    else:
        path = args.device or Path(tempfile.mkdtemp(prefix="bw-radar-")) / f"tty{args.protocol.upper()}"
        link = PtyLink(path)
        print(f"radar {args.protocol} device {path}", flush=True)
    maps = MapGeometry() if args.heatmap else None
    sim = RadarSimulator(world, spec, args.protocol, link, tuple(args.fault), args.speed, args.loop, args.seed, maps)
    sim.start()
    try:
        serve_for(args.seconds)
    finally:
        sim.stop()
    return 0
