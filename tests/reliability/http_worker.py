"""One client process of the concurrency test: `python http_worker.py PLAN.json RESULT.json`.

Standard library only. It signs in as the RSC provider, waits for the common start time, then
sends its share of the work: first the contested requests (the same ones every worker sends at
once, in the same order), then its own completion batches, session logs and attestations,
interleaved at random; last it resends one of its own batches with the same Idempotency-Key.
Every answer goes to the result file (its status, and the body of anything not a success).
"""

from __future__ import annotations

import http.cookiejar
import json
import random
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # keep the 302 of a signed form: its target page is not under test


class Client:
    """An HTTP client with a cookie jar that records every answer."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )
        self.log: list[dict[str, Any]] = []

    def send(
        self,
        what: str,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        data = None
        headers = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers=headers
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                status, body = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read().decode("utf-8", "replace")
            exc.close()
        entry: dict[str, Any] = {"what": what, "status": status}
        if status >= 400:
            entry["body"] = body[:500]
            entry["alerts"] = re.findall(r'role="alert">([^<]*)<', body)
        entry["locked"] = "database is locked" in body
        self.log.append(entry)
        return status, body


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    if not found:
        raise RuntimeError("no CSRF token in the page")
    return found.group(1)


def sign_in(client: Client, email: str, password: str) -> str:
    """Sign in through the login form; return a CSRF token of the signed-in session."""
    _, page = client.send("login-page", "GET", "/login")
    form = [("csrf_token", _csrf(page)), ("email", email), ("password", password)]
    status, _ = client.send("login", "POST", "/login", form=form)
    if status != 302:
        raise RuntimeError(f"sign-in answered {status}")
    _, home = client.send("home", "GET", "/")
    return _csrf(home)


def post_batch(client: Client, plan: dict, batch: dict, what: str) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {plan['coordinator_token']}"}
    if batch.get("key"):
        headers["Idempotency-Key"] = batch["key"]
    return client.send(
        what, "POST", "/api/v1/completions", json_body={"items": batch["items"]}, headers=headers
    )


def attest(client: Client, plan: dict, csrf: str, ids: list[int], what: str) -> bool:
    form = [("csrf_token", csrf), ("password", plan["password"])]
    form += [("sessions", str(i)) for i in ids]
    status, _ = client.send(what, "POST", "/supervision/provider/attest", form=form)
    return status == 302


def _note(results: dict[str, Any], body: str) -> None:
    """Keep which completion each external id was answered with."""
    for row in json.loads(body)["results"]:
        results["completions"].setdefault(row["external_id"], set()).add(row["completion_id"])


def run(plan: dict) -> dict[str, Any]:
    rng = random.Random(plan["seed"])
    client = Client(plan["base"])
    csrf = sign_in(client, plan["provider_email"], plan["password"])
    results: dict[str, Any] = {"completions": {}, "attested": [], "replay": None}
    while time.time() < plan["start_at"]:
        time.sleep(0.005)

    # Contested: every worker sends these at once, in the same order; each applies once.
    for kind, item in plan["contested"]:
        if kind == "batch":
            status, body = post_batch(client, plan, item, "contested-completion")
            if status == 200:
                _note(results, body)
        elif attest(client, plan, csrf, [item], "contested-attest"):
            results["attested"].append(item)

    # Own work, interleaved: completion batches, session logs, attestations of pending ones.
    batches = list(plan["batches"])
    sessions = list(plan["sessions"])
    pending = list(plan["pending"])
    first_answer = None
    while batches or sessions or pending:
        if batches and rng.random() < 0.5:
            batch = batches.pop(0)
            status, body = post_batch(client, plan, batch, "completion")
            if status == 200:
                first_answer = first_answer or (batch, body)
                _note(results, body)
        if sessions and rng.random() < 0.3:
            entry = sessions.pop(0)
            status, body = client.send(
                "log-session",
                "POST",
                "/api/v1/rsc-sessions",
                json_body=entry["body"],
                headers={"Authorization": f"Bearer {entry['token']}"},
            )
            if status == 201:
                pending.append(json.loads(body)["id"])
        if pending and rng.random() < 0.5:
            size = rng.randint(1, plan["attest_batch"])
            chosen, pending = pending[:size], pending[size:]
            if attest(client, plan, csrf, chosen, "attest"):
                results["attested"].extend(chosen)

    # A plain resend of a batch already answered: the stored answer comes back unchanged.
    if first_answer is not None:
        batch, body = first_answer
        status, again = post_batch(client, plan, batch, "replay")
        results["replay"] = {"same": status == 200 and json.loads(again) == json.loads(body)}
    results["completions"] = {k: sorted(v) for k, v in results["completions"].items()}
    results["log"] = client.log
    return results


def main() -> None:
    plan_path, result_path = sys.argv[1], sys.argv[2]
    with open(plan_path, encoding="utf-8") as handle:
        plan = json.load(handle)
    results = run(plan)
    with open(result_path, "w", encoding="utf-8") as handle:
        json.dump(results, handle)


if __name__ == "__main__":
    main()
