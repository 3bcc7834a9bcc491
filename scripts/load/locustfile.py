"""The load test's visitors: Wikimedians browsing CapX as they do (run by scripts/load_test.py).

Each simulated user logs in through the development login as one of the demo accounts, then
moves between pages with the weights below. Requests are grouped by page ("name") so the report
gives percentiles per page, whatever the query string.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
REGIONS = ["LAC", "SSA", "NWE", "ESEAP", "CEECA", "SA", "MENA", "NA"]
LANGUAGES = ["en", "es", "pt-br", "fr", "de", "ar", "hi", "sw"]
#: Demo user names (one per line), written by scripts/load_test.py from the seeded database.
USERNAMES = Path(os.environ.get("CAPX_LOAD_USERNAMES", "usernames.txt")).read_text(encoding="utf-8").split("\n")
USERNAMES = [name for name in USERNAMES if name]


class Wikimedian(HttpUser):
    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        page = self.client.get("/login", name="login")
        token = CSRF.search(page.text).group(1)
        self.client.post("/login/dev", data={"username": random.choice(USERNAMES), "csrf_token": token},
                         name="login", allow_redirects=False)
        self.capacities = list(range(1, 135))

    @task(15)
    def home(self) -> None:
        self.client.get("/home", name="home")

    @task(10)
    def explore(self) -> None:
        self.client.get("/feed", name="explore")

    @task(15)
    def explore_filtered(self) -> None:
        params = {"capacity": random.choice(self.capacities), "exchange": random.choice(["sharer", "learner"])}
        if random.random() < 0.5:
            params["territory"] = random.choice(REGIONS)
        if random.random() < 0.3:
            params["language"] = random.choice(LANGUAGES)
        self.client.get("/feed", params=params, name="explore with filters")

    @task(12)
    def profile(self) -> None:
        self.client.get("/profile/" + random.choice(USERNAMES).replace(" ", "_"), name="profile")

    @task(8)
    def directory(self) -> None:
        self.client.get("/capacity", name="directory")

    @task(6)
    def capacity(self) -> None:
        self.client.get(f"/capacity/{random.choice(self.capacities)}", name="capacity")

    @task(6)
    def events(self) -> None:
        self.client.get("/events", name="events")

    @task(6)
    def organizations(self) -> None:
        self.client.get("/organization_list", name="organization list")

    @task(5)
    def dashboard(self) -> None:
        self.client.get("/data_analytics_dashboard", name="data dashboard")

    @task(4)
    def edit_profile(self) -> None:
        form = self.client.get("/profile/edit", name="profile edit (form)")
        match = CSRF.search(form.text)
        if not match:
            return
        fields = dict(re.findall(r'<(?:input|textarea)[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.text))
        fields["csrf_token"] = match.group(1)
        fields["bio"] = f"Load test bio {random.randint(1, 10**6)}"
        self.client.post("/profile/edit", data=fields, name="profile edit (save)", allow_redirects=False)
