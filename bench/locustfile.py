"""Mixed journeys for the load benchmark (run by `python -m bench`, against 127.0.0.1 only)."""

from __future__ import annotations

import os
import random
import re

from locust import HttpUser, between, task

CLINICIANS = int(os.environ.get("BENCH_CLINICIANS", "100"))
PASSWORD = os.environ.get("BENCH_PASSWORD", "bench password 2025")
VERIFY_CODES = [c for c in os.environ.get("BENCH_VERIFY_CODES", "").split(",") if c]
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
        with self.client.get(f"/verify/{code}", name="verify", catch_response=True) as response:
            if response.status_code in (200, 404):
                response.success()
