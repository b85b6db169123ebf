"""Mixed journeys for the load benchmark (run by `python -m bench`, against 127.0.0.1 only)."""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import uuid

from locust import HttpUser, between, task

CLINICIANS = int(os.environ.get("BENCH_CLINICIANS", "100"))
PASSWORD = os.environ.get("BENCH_PASSWORD", "bench password 2025")
VERIFY_CODES = [c for c in os.environ.get("BENCH_VERIFY_CODES", "").split(",") if c]
TOKEN = os.environ.get("BENCH_TOKEN", "")
TRAINING = os.environ.get("BENCH_TRAINING", "LOAD-1")
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _login(client, email: str) -> None:
    page = client.get("/login", name="login page")
    match = _TOKEN.search(page.text)
    client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": match.group(1) if match else ""},
        name="login",
    )


class Clinician(HttpUser):
    """A clinician checking progress between family visits."""

    weight = 6
    wait_time = between(0.05, 0.2)

    def on_start(self) -> None:
        _login(self.client, f"c0-{random.randrange(CLINICIANS)}@bench.example")

    @task(5)
    def dashboard(self) -> None:
        self.client.get("/competencies/", name="dashboard")

    @task(1)
    def evidence(self) -> None:
        self.client.get("/competencies/evidence", name="evidence list")


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
