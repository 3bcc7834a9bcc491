"""The load test's visitors: Wikimedians browsing CapX as they do (run by scripts/load_test.py).

Each simulated user logs in through the development login as its own demo account (a different
one per user, drawn from the seeded profiles), then moves between pages with the weights below.
Requests are grouped by page and filter combination ("name"), so the report gives percentiles
per page whatever the ids in the URL.

Every request states the status it must answer (redirects are never followed silently: a
redirect to the login page or to a canonical Explore link would otherwise pass as a 200), and
anything else counts as a failure. The profile edit submits the form as a browser does (every
field the page holds, ticked checkboxes only, the pickers' chips) and must be saved: 302 to the
profile, then the profile page says it was saved.

Fixtures (ids and names that exist in the database) come from the JSON file named by
``CAPX_LOAD_FIXTURES``, written by scripts/load_test.py.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit

# Modules next to this file (locust puts its directory on sys.path).
from htmlforms import find_form
from pages import EDIT_WEIGHT, PAGES, Page
from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

FIXTURES: dict[str, Any] = json.loads(open(os.environ.get("CAPX_LOAD_FIXTURES", "fixtures.json"),
                                           encoding="utf-8").read())
#: Each simulated user takes the next account: distinct demo users (until the list wraps).
_ACCOUNTS = itertools.cycle(FIXTURES["login_users"])
#: Think time between two pages of one user, in seconds (CAPX_LOAD_WAIT="min,max").
WAIT = tuple(float(v) for v in os.environ.get("CAPX_LOAD_WAIT", "0.1,0.5").split(","))
RNG = random.Random()  # nosec B311 # which page and ids to visit, not a secret
#: The flash message the profile page shows after a save.
SAVED_MARKER = "cdx-message--success"
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
#: A field's error messages on a form page answered with 422.
FIELD_ERROR = re.compile(r'class="field__error"[^>]*>(.*?)</ul>', re.S)


def location(resp: Any) -> str:
    """A response's Location header ("" when there is none)."""
    return (resp.headers or {}).get("Location") or (resp.headers or {}).get("location") or ""


def visit(page: Page) -> Callable[[Wikimedian], None]:
    """A task that opens ``page`` (a new random request each time)."""
    def task_(user: Wikimedian) -> None:
        path, params = page.build(RNG, FIXTURES)
        user.page(path, page.name, params)
    task_.__name__ = page.name
    return task_


class Wikimedian(FastHttpUser):
    """A logged-in Wikimedian: home, Explore, profiles, the directory, events, organizations, data
    (scripts/load/pages.py), and now and then a profile edit."""

    wait_time = between(*WAIT)

    # -- helpers ---------------------------------------------------------------------------------

    def page(self, path: str, name: str, params: list[tuple[str, str]] | None = None, expect: int = 200,
             contains: str | None = None) -> Any:
        """GET ``path``; anything but ``expect`` (or a body without ``contains``) is a failure."""
        url = path + ("?" + urlencode(params) if params else "")
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as resp:
            if resp.status_code != expect:
                where = location(resp)
                resp.failure(f"{resp.status_code} instead of {expect} {where}".strip())
            elif contains is not None and contains not in resp.text:
                resp.failure(f"the page lacks {contains!r}")
            else:
                resp.success()
            return resp

    def on_start(self) -> None:
        """Log in through the development login as the next demo account."""
        self.username = next(_ACCOUNTS)
        page = self.page("/login", "login (form)")
        form = find_form(page.text, "/login/dev")
        if form is None:
            raise RuntimeError("no development login form: is CAPX_DEV_LOGIN=1 set for the server?")
        data = form.set(form.submission(), "username", self.username)
        with self.client.post("/login/dev", data=urlencode(data), headers=FORM_HEADERS, name="login (submit)",
                              allow_redirects=False, catch_response=True) as resp:
            if resp.status_code != 302:
                resp.failure(f"login as {self.username!r} answered {resp.status_code}")
            else:
                resp.success()

    @task(EDIT_WEIGHT)
    def edit_profile(self) -> None:
        """Open the edit form, change the bio and save it exactly as the browser would."""
        page = self.page("/profile/edit", "profile edit (form)")
        if page.status_code != 200:
            return
        form = find_form(page.text, "/profile/edit")
        data = form.set(form.submission(("save", "1")), "bio", f"Load test bio {RNG.randint(1, 10**6)}") if form else []
        with self.client.post("/profile/edit", data=urlencode(data), headers=FORM_HEADERS, name="profile edit (save)",
                              allow_redirects=False, catch_response=True) as resp:
            if form is None:
                resp.failure("no edit form on /profile/edit")
                return
            if resp.status_code != 302 or urlsplit(location(resp)).path != "/profile":
                errors = " | ".join(m.strip() for m in FIELD_ERROR.findall(resp.text or ""))[:300]
                resp.failure(f"save answered {resp.status_code} {location(resp)} {errors}".strip())
                return
            resp.success()
        self.page("/profile", "profile (own, after save)", contains=SAVED_MARKER)


Wikimedian.tasks = [*Wikimedian.tasks, *(t for page in PAGES for t in [visit(page)] * page.weight)]
