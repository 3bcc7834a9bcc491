"""The Toolforge files: what webservice and the jobs framework accept, every scheduled job runs a
command that exists, and the budgets in README's "Scaling" hold."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from flask import Flask

ROOT = Path(__file__).resolve().parents[1]

#: Toolforge's webservice checks --cpu and --mem (also when read from service.template) with this.
KUBE_QUANTITY = re.compile(r"^(\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")
#: The jobs framework's job names (Kubernetes object names) and the keys `toolforge jobs load` reads.
JOB_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
JOB_KEYS = {"name", "command", "image", "schedule", "continuous", "retry", "emails", "filelog", "no-filelog",
            "filelog-stdout", "filelog-stderr", "mem", "cpu", "mount", "wait"}
#: Every scheduled task the app needs (issue 9: accounts, capacities, badges, Diff news, statistics).
REQUIRED_JOBS = {"sync-accounts", "sync-capacities", "badges", "fetch-news", "refresh-statistics", "refresh-courses", "export-commons"}
TOOLSDB_CONNECTIONS = 10
UWSGI_WORKERS = 4  # fixed by Toolforge's python webservice


def _service() -> dict:
    return yaml.safe_load((ROOT / "service.template").read_text(encoding="utf-8"))


def _jobs() -> list[dict]:
    return yaml.safe_load((ROOT / "toolforge-jobs.yaml").read_text(encoding="utf-8"))


def _cron_field(field: str, low: int, high: int) -> set[int]:
    """The values one cron field matches (numbers, ranges, lists, steps, *), refusing what the
    jobs framework's parser refuses (a step on a range, a zero step)."""
    values: set[int] = set()
    for part in field.split(","):
        base, _, step = part.partition("/")
        assert not (step and "-" in base), f"{field}: the jobs framework refuses a step on a range"
        assert not step or 0 < int(step) <= high, field
        if base == "*":
            start, end = low, high
        elif "-" in base:
            start, end = (int(x) for x in base.split("-"))
        else:
            start = end = int(base)
            if step:
                end = high
        assert low <= start <= end <= high, (field, low, high)
        values.update(range(start, end + 1, int(step) if step else 1))
    return values


def _minutes_of_day(schedule: str) -> set[int]:
    minute, hour, day, month, weekday = schedule.split()
    assert (day, month, weekday) == ("*", "*", "*"), "daily or more often: the check below assumes it"
    return {h * 60 + m for h in _cron_field(hour, 0, 23) for m in _cron_field(minute, 0, 59)}


def test_service_template() -> None:
    data = _service()
    assert data["type"] == "python3.11"
    assert data["backend"] == "kubernetes"
    assert {"cpu", "mem", "replicas"} <= set(data)
    assert KUBE_QUANTITY.match(str(data["cpu"])), "webservice rejects e.g. 0.5: write 500m"
    assert KUBE_QUANTITY.match(str(data["mem"]))
    assert data["replicas"] >= 2, "one replica left serving during a restart"
    # Each worker keeps one ToolsDB connection; two jobs may run at once (see test below).
    assert data["replicas"] * UWSGI_WORKERS + 2 <= TOOLSDB_CONNECTIONS


def test_service_template_is_found_once() -> None:
    """webservice looks in ~ and ~/www/python/src and refuses to start when it finds two."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "service.template $HOME" not in readme and "service.template ~/" not in readme


def test_jobs_run_existing_commands(app: Flask) -> None:
    jobs = _jobs()
    names = [job["name"] for job in jobs]
    assert len(names) == len(set(names))
    group = app.cli.commands["capx"]
    commands = set()
    for job in jobs:
        assert set(job) <= JOB_KEYS, set(job) - JOB_KEYS
        assert JOB_NAME.match(job["name"]) and len(job["name"]) <= 52
        assert job["image"] == "python3.11"
        assert KUBE_QUANTITY.match(str(job["cpu"])) and KUBE_QUANTITY.match(str(job["mem"]))
        assert job.get("emails") == "onfailure", "a failed run must reach the maintainers"
        assert 0 <= job.get("retry", 0) <= 5
        assert job.get("filelog") is True and job["filelog-stdout"].startswith("logs/")
        assert job["filelog-stderr"].startswith("logs/")
        m = re.fullmatch(r"cd \$HOME/www/python/src && (CAPX_[A-Z_]+=\w+ )*"
                         r"\$HOME/www/python/venv/bin/flask --app app capx ([a-z-]+)", job["command"])
        assert m, job["command"]
        assert m.group(2) in group.commands, f"{job['name']}: no command capx {m.group(2)}"
        commands.add(m.group(2))
        assert len(job["schedule"].split()) == 5, job["name"]
    assert REQUIRED_JOBS <= commands


def test_no_two_jobs_start_in_the_same_minute() -> None:
    """Each job holds a ToolsDB connection next to the webservice's: starts are spread out."""
    starts: dict[int, list[str]] = {}
    for job in _jobs():
        for minute in _minutes_of_day(job["schedule"]):
            starts.setdefault(minute, []).append(job["name"])
    clashes = {f"{m // 60:02}:{m % 60:02}": names for m, names in starts.items() if len(names) > 1}
    assert not clashes
    assert len(_minutes_of_day("*/10 * * * *")) == len(_minutes_of_day("5,15,25,35,45,55 * * * *")) == 144


def test_no_route_under_the_uwsgi_mount_point(app: Flask) -> None:
    """Toolforge's uWSGI also mounts the app at /<tool name> (the legacy URL) with
    --manage-script-name, which would cut /capx off the front of such a path."""
    assert not [rule.rule for rule in app.url_map.iter_rules() if re.match(r"/capx(/|$)", rule.rule)]


def test_make_targets_exist() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run:", "test:", "lint:", "audit:"):
        assert re.search(rf"^{target}", makefile, re.M), target
    ci = (ROOT / ".ci" / "run")
    assert ci.stat().st_mode & 0o111, ".ci/run is executable"
    assert "set -euo pipefail" in ci.read_text(encoding="utf-8")
