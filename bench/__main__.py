"""Run every benchmark and print one table: `python -m bench run --size {XS,S,M,L} [--json]`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="build a dataset and run every benchmark")
    run.add_argument("--size", choices=["XS", "S", "M", "L"], default="S")
    run.add_argument("--json", action="store_true", help="print the figures as JSON")
    run.add_argument("--load-seconds", type=int, default=60, help="length of the load test")
    run.add_argument("--no-load", action="store_true", help="skip the gunicorn load test")
    args = parser.parse_args(argv)

    from bench.runner import run_all

    url = os.environ.get("LMS_BENCH_DATABASE_URL")
    if args.size == "L" and not url:
        parser.error("size L runs on PostgreSQL: set LMS_BENCH_DATABASE_URL")
    today = _today()
    with tempfile.TemporaryDirectory(prefix="imh-bench-") as tmp:
        database_url = url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        figures, info = run_all(
            size=args.size,
            database_url=database_url,
            workdir=Path(tmp),
            today=today,
            load_seconds=None if args.no_load else args.load_seconds,
        )
    if _today() != today:
        print(
            f"The run crossed midnight (it began on {today}, it ended on {_today()}): from "
            "midnight on, its day was no longer today, so nothing evaluated was kept and every "
            "report evaluated afresh; these figures are not the code's. Run it again.",
            file=sys.stderr,
        )
        return 2
    if args.json:
        print(
            json.dumps(
                {"info": info, "figures": [f.as_dict() for f in figures]}, indent=2, default=str
            )
        )
    else:
        print_table(figures, info)
    return 0 if all(f.passed for f in figures) else 1


_today = dt.date.today  # the day a run begins and ends on (a test moves it)


def print_table(figures, info) -> None:
    print(
        f"size {info['size']}: {info['clinicians']:,} clinicians, {info['evidence_rows']:,} "
        f"ledger rows on {info['database']} (built in {info['build_seconds']:.1f} s)"
    )
    header = ("figure", "value", "budget", "ratio", "result")
    rows = [
        (
            f.name,
            f"{f.value:,.2f} {f.unit}",
            f.budget,
            "" if f.ratio is None else f"{f.ratio:.2f}×",
            ("pass" if f.passed else "FAIL") + (f" ({f.note})" if f.note else ""),
        )
        for f in figures
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    sys.exit(main())
