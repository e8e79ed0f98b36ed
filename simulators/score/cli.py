"""`borderwatch sim score`: score one finished run (truth file + the hub's SQLite stores) and print the table.

sim score --truth RUN/truth.jsonl --events-db RUN/hub/events.sqlite3 --alerts-db RUN/hub/alerts.sqlite3
          [--arrivals RUN/alerts-received.jsonl] [--out DIR] [--floors simulators/scenarios/floors.toml]
Exit 0 when no library figure is BELOW its floor, 1 otherwise (undefined figures are shown, not failed).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from borderwatch.simulators.score.floors import FLOORS_FILE, Floors, load_floors
from borderwatch.simulators.score.hubread import read_hub
from borderwatch.simulators.score.run import RunScore, score_run
from borderwatch.simulators.score.table import checks, library_figures, markdown, write_table
from borderwatch.simulators.score.truthfile import read_truth


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The `score` subcommand of `sim`."""
    p = sub.add_parser("score", help="score a finished run against its ground truth (table, floors)")
    p.add_argument("--truth", type=Path, required=True, help="the run's truth.jsonl")
    p.add_argument("--events-db", type=Path, required=True, help="the hub's events SQLite file")
    p.add_argument("--alerts-db", type=Path, required=True, help="the hub's alerts SQLite file")
    p.add_argument("--arrivals", type=Path, default=None, help="alert arrival times (JSON lines: id, received)")
    p.add_argument("--floors", type=Path, default=FLOORS_FILE, help="floors and tolerances (default %(default)s)")
    p.add_argument("--out", type=Path, default=None, help="also write results.md and results.json here")
    p.set_defaults(func=cmd_score)


def score_files(truth: Path, events_db: Path, alerts_db: Path, arrivals: Path | None, floors: Floors) -> RunScore:
    """Score one run from its files with the floors' tolerances."""
    return score_run(
        read_truth(truth),
        read_hub(events_db, alerts_db, arrivals),
        floors.tolerances,
        floors.warmup_s,
        floors.recovery_s,
    )


def cmd_score(args: argparse.Namespace) -> int:
    """Print the table; exit 1 when a figure is below its floor."""
    floors = load_floors(args.floors)
    run = score_files(args.truth, args.events_db, args.alerts_db, args.arrivals, floors)
    print(markdown([run], floors, f"score of {run.scenario}"), end="")
    if args.out is not None:
        write_table([run], floors, args.out, f"score of {run.scenario}")
    return 0 if all(v != "BELOW" for *_, v in checks(library_figures([run]), floors.library)) else 1
