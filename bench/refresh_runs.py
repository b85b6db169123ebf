"""Time the readiness refresh in a process of its own, as `flask refresh-readiness` runs it.

`python -m bench.refresh_runs DATABASE_URL WORKDIR ASSOCIATION_ID DAY RUNS WORKERS...` makes
every kept row of the association stale before each run (as `readiness_figures._all_stale`
does), refreshes it with each number of workers in turn, RUNS rounds, and prints the runs as
JSON: `[[workers, seconds, CPU seconds with the workers', pathways evaluated], ...]`.

The benchmark's own process holds its dataset build, the figures so far and a full SQLite page
cache (about 250 MB at S): forking it costs 5-10 ms a worker and as much again when the worker
exits, which the nightly command, a process of about 100 MB, does not pay.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    database_url, workdir, association_id, day, runs, *workers = argv
    from bench.readiness_figures import _all_stale, _cpu
    from bench.runner import _app
    from competencies.readiness import refresh_stale
    from lms.db import connection
    from lms.models import Association

    app = _app(database_url, Path(workdir))
    timed = []
    with app.app_context(), connection():
        association = Association.get_by_id(int(association_id))
        today = dt.date.fromisoformat(day)
        for _ in range(int(runs)):
            for count in map(int, workers):
                _all_stale(association)
                cpu, started = _cpu(), time.perf_counter()
                done = refresh_stale(association, today, workers=count)
                timed.append([count, time.perf_counter() - started, _cpu() - cpu, done.evaluated])
    print(json.dumps(timed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
