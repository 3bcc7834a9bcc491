"""The Toolforge files: valid YAML, and every scheduled job runs a command that exists."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from flask import Flask

ROOT = Path(__file__).resolve().parents[1]


def test_service_template() -> None:
    data = yaml.safe_load((ROOT / "service.template").read_text(encoding="utf-8"))
    assert data["type"] == "python3.11"
    assert data["backend"] == "kubernetes"
    assert {"cpu", "mem", "replicas"} <= set(data)
    # replicas x 4 uWSGI workers (one connection each) + a job within ToolsDB's 10 connections.
    assert data["replicas"] * 4 + 1 <= 10


def test_jobs_run_existing_commands(app: Flask) -> None:
    jobs = yaml.safe_load((ROOT / "toolforge-jobs.yaml").read_text(encoding="utf-8"))
    names = [job["name"] for job in jobs]
    assert "sync-accounts" in names and len(names) == len(set(names))
    group = app.cli.commands["capx"]
    for job in jobs:
        assert job["image"] == "python3.11"
        assert job.get("emails") in ("onfailure", "all", "onfinish")
        assert 0 <= job.get("retry", 0) <= 5
        if "schedule" in job:
            assert len(job["schedule"].split()) == 5, job["name"]
        m = re.search(r"venv/bin/flask --app app capx ([a-z-]+)", job["command"])
        assert m, job["command"]
        assert m.group(1) in group.commands, f"{job['name']}: no command capx {m.group(1)}"


def test_make_targets_exist() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run:", "test:", "lint:"):
        assert re.search(rf"^{target}", makefile, re.M), target
    ci = (ROOT / ".ci" / "run")
    assert ci.stat().st_mode & 0o111, ".ci/run is executable"
    assert "set -euo pipefail" in ci.read_text(encoding="utf-8")
