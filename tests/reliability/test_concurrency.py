"""Eight client processes against gunicorn with four workers: every write lands exactly once.

The clients record 500 training completions through POST /api/v1/completions and attest 500
reflective supervision sessions on the provider's page (some of them logged through the API
during the run), all at the same time. Some requests are sent by every client at once (the
same Idempotency-Key, the same external id, the same session to sign): each must be applied
once. The database then holds every row once, each with its one ledger row, the hours add up
exactly, the audit chain is whole, no answer is a 5xx and nothing says "database is locked".
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.reliability.conftest import PASSWORD, Database, start_gunicorn, stop

CLIENTS = 8
GUNICORN_WORKERS = 4
CLINICIANS = 60
CONTESTED = 12  # completions and sessions every client sends at once
COMPLETIONS = 500  # CONTESTED of them contested
SESSIONS = 500  # CONTESTED contested, LOGGED logged by the clients during the run
LOGGED = 80
TODAY = dt.date.today()
WORKER_SCRIPT = Path(__file__).with_name("http_worker.py")


def _session_hours(k: int) -> float:
    return 0.5 * (1 + k % 4)


def _seed() -> dict:
    """Create the association, people, trainings, tokens and the pending sessions to sign."""
    from competencies.rulesets import install_defaults
    from courses import trainings
    from lms.accounts import create_api_token, create_user
    from lms.models import Association
    from lms.permissions import actor_for
    from supervision import credentials, rules
    from supervision import services as supervision

    install_defaults()
    association = Association.create(code="REL", name="Reliability Association")
    coordinator = create_user(
        "coord@example.test", "Cora Coordinator", roles=("coordinator",), association=association
    )
    provider = create_user(
        "provider@example.test",
        "Pat Provider",
        roles=("rsc_provider",),
        association=association,
        password=PASSWORD,
    )
    credentials.record_credential(
        provider, association, "IMHS", TODAY - dt.timedelta(days=2000), actor=coordinator
    )
    clinicians = [
        create_user(f"clin{i}@example.test", f"Clinician {i}", association=association)
        for i in range(CLINICIANS)
    ]
    for code in ("REL-A", "REL-B"):
        trainings.save_training(
            actor_for(coordinator),
            association,
            {"code": code, "title": f"Training {code}", "format": "in_service", "hours": 6.0},
        )
    pending = [
        supervision.log_session(
            clinicians[k % CLINICIANS],
            association,
            provider,
            rules.SessionInput(TODAY - dt.timedelta(days=1 + k % 300), _session_hours(k)),
        ).id
        for k in range(SESSIONS - LOGGED)
    ]

    def token(user, role):
        return create_api_token(
            user, role=role, association=association, name="load", password=None
        ).secret

    return {
        "provider_id": provider.id,
        "coordinator_token": token(coordinator, "coordinator"),
        "clinician_tokens": [token(c, "clinician") for c in clinicians],
        "emails": [c.email for c in clinicians],
        "pending": pending,
    }


def _completion(n: int, emails: list[str]) -> dict:
    return {
        "email": emails[n % CLINICIANS],
        "training_code": "REL-A" if (n // CLINICIANS) % 2 == 0 else "REL-B",
        "completed_on": (TODAY - dt.timedelta(days=10 + n)).isoformat(),
        "hours": 0.25 * (1 + n % 12),
        "external_id": f"ext-{n}",
    }


def _plans(seeded: dict, base: str, start_at: float) -> tuple[list[dict], dict]:
    """Split the work between the clients; return their plans and what must come out."""
    rng = random.Random(20250914)
    emails = seeded["emails"]
    own = COMPLETIONS - CONTESTED
    contested: list[tuple[str, object]] = []
    for j in range(CONTESTED):
        # Even ones share an Idempotency-Key; odd ones have only their external id.
        batch = {
            "key": f"shared-{j}" if j % 2 == 0 else None,
            "items": [_completion(own + j, emails)],
        }
        contested += [("batch", batch), ("attest", seeded["pending"][j])]
    unclaimed = seeded["pending"][CONTESTED:]
    plans = []
    for c in range(CLIENTS):
        items = [_completion(n, emails) for n in range(c, own, CLIENTS)]
        batches = []
        while items:
            size = rng.randint(1, 10)
            batches.append({"key": f"c{c}-b{len(batches)}", "items": items[:size]})
            items = items[size:]
        logs = [
            {
                "token": seeded["clinician_tokens"][k % CLINICIANS],
                "body": {
                    "provider_id": seeded["provider_id"],
                    "occurred_on": (TODAY - dt.timedelta(days=1 + k % 300)).isoformat(),
                    "hours": _session_hours(k),
                },
            }
            for k in range(SESSIONS - LOGGED + c, SESSIONS, CLIENTS)
        ]
        plans.append(
            {
                "base": base,
                "start_at": start_at,
                "seed": c,
                "coordinator_token": seeded["coordinator_token"],
                "provider_email": "provider@example.test",
                "password": PASSWORD,
                "contested": contested,
                "batches": batches,
                "sessions": logs,
                "pending": unclaimed[c::CLIENTS],
                "attest_batch": 8,
            }
        )
    expected = {
        "completion_hours": math.fsum(0.25 * (1 + n % 12) for n in range(COMPLETIONS)),
        "session_hours": math.fsum(_session_hours(k) for k in range(SESSIONS)),
        "keys": sum(len(p["batches"]) for p in plans) + len(range(0, CONTESTED, 2)),
    }
    return plans, expected


def _start_gunicorn(database: Database, log: Path) -> tuple[subprocess.Popen, str]:
    """Start gunicorn with four sync workers on a free loopback port; return it and its URL."""
    env = database.env(
        LMS_LOGIN_LIMIT_PER_IP="1000 per minute",
        LMS_LOGIN_LIMIT_PER_ACCOUNT="1000 per minute",
        LMS_SUPERVISION_SIGN_LIMIT="10000 per minute",  # the losers of a race count as failures
    )
    return start_gunicorn(env, log, GUNICORN_WORKERS)


def _run_clients(plans: list[dict], workdir: Path) -> list[dict]:
    """Run one process per plan at once; return their results (any failure fails the test)."""
    children = []
    try:
        for c, plan in enumerate(plans):
            plan_path, result_path = workdir / f"plan{c}.json", workdir / f"result{c}.json"
            plan_path.write_text(json.dumps(plan), encoding="utf-8")
            child = subprocess.Popen(
                [sys.executable, str(WORKER_SCRIPT), str(plan_path), str(result_path)],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            children.append((child, result_path))
        results = []
        for child, result_path in children:
            output, _ = child.communicate(timeout=180)
            assert child.returncode == 0, output.decode(errors="replace")[-3000:]
            results.append(json.loads(result_path.read_text(encoding="utf-8")))
        return results
    finally:
        for child, _ in children:
            if child.poll() is None:
                child.kill()
            child.communicate()


def _check_answers(results: list[dict]) -> Counter:
    allowed = {
        "login-page": {200},
        "login": {302},
        "home": {200},
        "completion": {200},
        "replay": {200},
        "log-session": {201},
        "attest": {302},
        # Losers of a race get the stored answer, or 409 "in use by a concurrent request".
        "contested-completion": {200, 409},
        # Losers of a race get the page saying the session is no longer pending.
        "contested-attest": {302, 400},
    }
    answers = [entry for r in results for entry in r["log"]]
    wrong = [e for e in answers if e["status"] not in allowed[e["what"]]]
    assert not wrong, wrong[:5]
    assert not [e for e in answers if e["locked"]]
    losers = [e for e in answers if e["what"] == "contested-attest" and e["status"] == 400]
    conflict = re.compile(r"not pending|in the meantime")
    assert all(conflict.search(" ".join(e["alerts"])) for e in losers), losers[:1]
    assert all(r["replay"] == {"same": True} for r in results)
    statuses = Counter((e["what"], e["status"]) for e in answers)
    assert statuses[("contested-attest", 302)] == CONTESTED, statuses
    return statuses


def _check_completions(results: list[dict], expected: dict) -> None:
    from competencies.models import Evidence
    from courses.models import Completion, IdempotencyKey

    completions = list(Completion.select())
    assert len(completions) == COMPLETIONS
    assert len({c.external_id for c in completions}) == COMPLETIONS
    # Every client that sent a contested item was answered with the same row: created once.
    answered: dict[str, set[int]] = {}
    for r in results:
        for external_id, ids in r["completions"].items():
            answered.setdefault(external_id, set()).update(ids)
    assert len(answered) == COMPLETIONS
    assert all(len(ids) == 1 for ids in answered.values())
    assert {min(ids) for ids in answered.values()} == {c.id for c in completions}
    ledger = list(Evidence.select().where(Evidence.source == "courses"))
    assert sorted(e.source_ref for e in ledger) == sorted(f"completion:{c.id}" for c in completions)
    assert {c.evidence_id for c in completions} == {e.id for e in ledger}
    assert math.fsum(c.hours for c in completions) == expected["completion_hours"]
    assert math.fsum(e.hours for e in ledger) == expected["completion_hours"]
    assert IdempotencyKey.select().count() == expected["keys"]


def _check_sessions(results: list[dict], expected: dict) -> None:
    from competencies.models import Evidence
    from supervision.attestation import signature_valid
    from supervision.models import RscSession

    sessions = list(RscSession.select())
    assert len(sessions) == SESSIONS
    signed = [s for r in results for s in r["attested"]]
    assert sorted(signed) == sorted(s.id for s in sessions)  # each signed once, by one client
    assert all(s.status == "attested" and signature_valid(s) for s in sessions)
    ledger = list(Evidence.select().where(Evidence.source == "supervision"))
    assert sorted(e.source_ref for e in ledger) == sorted(f"session:{s.id}" for s in sessions)
    assert {s.evidence_id for s in sessions} == {e.id for e in ledger}
    assert math.fsum(s.hours for s in sessions) == expected["session_hours"]
    assert math.fsum(e.hours for e in ledger) == expected["session_hours"]


def test_eight_clients_write_each_record_once(database: Database, tmp_path):
    from lms.audit import verify_chain

    seeded = _seed()
    database.release()
    log = tmp_path / "gunicorn.log"
    server, base = _start_gunicorn(database, log)
    try:
        plans, expected = _plans(seeded, base, time.time() + 2.0)
        results = _run_clients(plans, tmp_path)
    finally:
        stop(server)
    server_log = log.read_text(errors="replace")
    assert "database is locked" not in server_log
    assert "Traceback" not in server_log, server_log[-3000:]
    assert "WORKER TIMEOUT" not in server_log
    _check_answers(results)
    database.reopen()
    _check_completions(results, expected)
    _check_sessions(results, expected)
    assert list(verify_chain()) == []  # concurrent appends kept the audit chain whole
