"""Mixed journeys for the load benchmark (run by `python -m bench`, against 127.0.0.1 only)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re
import uuid
from pathlib import Path

from locust import HttpUser, between, events, task

CLINICIANS = int(os.environ.get("BENCH_CLINICIANS", "100"))
PASSWORD = os.environ.get("BENCH_PASSWORD", "bench password 2025")
VERIFY_CODES = [c for c in os.environ.get("BENCH_VERIFY_CODES", "").split(",") if c]
TOKEN = os.environ.get("BENCH_TOKEN", "")
TRAINING = os.environ.get("BENCH_TRAINING", "LOAD-1")
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# Signed-in session cookies ("name=value", one clinician each), written by the runner; the
# clinicians' visits take them in turn, so each visit is likely a clinician not seen before.
_SESSIONS_FILE = os.environ.get("BENCH_SESSIONS", "")
SESSIONS = (
    [line.split("=", 1) for line in Path(_SESSIONS_FILE).read_text().split() if "=" in line]
    if _SESSIONS_FILE
    else []
)
_TURN = itertools.count(random.randrange(max(len(SESSIONS), 1)))
_VISITED: set[int] = set()


def _login(client, email: str) -> None:
    page = client.get("/login", name="login page")
    match = _TOKEN.search(page.text)
    client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": match.group(1) if match else ""},
        name="login",
    )


class Clinician(HttpUser):
    """Clinicians checking progress between family visits: each visit is one to three pages by
    the next clinician in turn (signed in earlier), so most first pages miss every cache."""

    weight = 6
    wait_time = between(0.05, 0.2)

    def on_start(self) -> None:
        self.pages_left = 0
        if not SESSIONS:  # run by hand without the runner's sessions: sign in once
            _login(self.client, f"c0-{random.randrange(CLINICIANS)}@bench.example")
            self.pages_left = -1

    def _page(self, path: str, name: str) -> None:
        if self.pages_left == 0:
            turn = next(_TURN) % len(SESSIONS)
            cookie, value = SESSIONS[turn]
            self.client.cookies.clear()
            self.client.cookies.set(cookie, value)
            _VISITED.add(turn)
            self.pages_left = random.randint(1, 3)
        self.client.get(path, name=name)
        if self.pages_left > 0:
            self.pages_left -= 1

    @task(5)
    def dashboard(self) -> None:
        self._page("/competencies/", "dashboard")

    @task(1)
    def evidence(self) -> None:
        self._page("/competencies/evidence", "evidence list")


class Reviewer(HttpUser):
    """An association reviewer opening the readiness page."""

    weight = 1
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        _login(self.client, "reviewer0@bench.example")

    @task
    def readiness(self) -> None:
        self.client.get("/competencies/readiness", name="readiness page")


class Visitor(HttpUser):
    """Someone checking a certificate."""

    weight = 1
    wait_time = between(0.1, 0.5)

    @task
    def verify(self) -> None:
        code = random.choice(VERIFY_CODES) if VERIFY_CODES else "AAAA-BBBB-CCCC-DDDD"
        self.client.get(f"/verify/{code}", name="verify")


class Trainer(HttpUser):
    """A trainer's LMS posting each completion through the API as it happens."""

    weight = 1
    wait_time = between(0.3, 1.0)

    @task
    def record_completion(self) -> None:
        day = dt.date.today() - dt.timedelta(days=random.randrange(1, 300))
        item = {
            "email": f"c0-{random.randrange(CLINICIANS)}@bench.example",
            "training_code": TRAINING,
            "completed_on": day.isoformat(),
            "external_id": uuid.uuid4().hex,
        }
        self.client.post(
            "/api/v1/completions",
            json={"items": [item]},
            headers={"Authorization": f"Bearer {TOKEN}"},
            name="record completion",
        )


@events.test_stop.add_listener
def _report(**_kwargs) -> None:
    """Tell the runner how many different clinicians the visits covered."""
    path = os.environ.get("BENCH_REPORT")
    if path:
        Path(path).write_text(json.dumps({"clinicians": len(_VISITED)}))
