"""Helpers for the import tests: the sample export, small exports built from it, a database as
`db upgrade` + `load-reference` leave it, and running `flask capx import-current`."""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask

from tests.conftest import FIXTURES, _empty_tables

DUMP = FIXTURES / "capx-backend-dump"
SAMPLE = DUMP / "sample.json"
SKILL_MAP = DUMP / "skill-qids.json"
KEYS = DUMP / "sample-partner-keys"


@lru_cache(maxsize=1)
def _sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


def sample_rows() -> list[dict[str, Any]]:
    """A fresh copy of the sample's rows (tests may change it)."""
    return copy.deepcopy(json.loads(_sample_text()))


def readme_counts() -> dict[str, int]:
    """The row count of every model, from the dump README's table."""
    text = (DUMP / "README.md").read_text(encoding="utf-8")
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^\| `([a-z_]+\.[a-z_]+)` \| (\d+) \|$", text, re.M)}


def write_export(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write rows as a dumpdata file (indent 1, like the real exports)."""
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def fresh_database(app: Flask) -> None:
    """Only what `flask db upgrade` and `flask capx load-reference` leave (no demo data)."""
    from capx.extensions import db
    from capx.services.reference import load_reference

    _empty_tables(app, include_reference=True)
    with app.app_context():
        load_reference(echo=lambda _line: None)
        db.session.commit()
        db.session.remove()


def import_file(app: Flask, path: Path, *args: str, skill_map: bool = True) -> Any:
    """Run `flask capx import-current` on ``path``; returns the click result."""
    extra = ["--skill-map", str(SKILL_MAP)] if skill_map else []
    return app.test_cli_runner().invoke(args=["capx", "import-current", str(path), *extra, *args])


def table_counts(app: Flask) -> dict[str, int]:
    """Rows per table of the main database (to compare a database before and after)."""
    import sqlalchemy as sa

    from capx.extensions import db

    with app.app_context():
        counts = {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)) or 0
                  for t in db.metadatas[None].sorted_tables}
        db.session.remove()
    return counts


def account_rows(pk: int, username: str, uid: str | None = None, active: bool = True, staff: bool = False,
                 **profile: Any) -> list[dict[str, Any]]:
    """An account of the previous platform: its user, profile and (with ``uid``) social-auth row,
    shaped like the sample's first account."""
    rows = sample_rows()
    user = copy.deepcopy(next(r for r in rows if r["model"] == "users.customuser"))
    user.update(pk=pk)
    user["fields"].update(username=username, is_active=active, is_staff=staff, is_superuser=False)
    prof = copy.deepcopy(next(r for r in rows if r["model"] == "users.profile"))
    prof.update(pk=pk)
    prof["fields"].update({"user": [username], "display_name": username, "avatar": None, "about_language": None,
                           "territory": [], "affiliation": [], "wikimedia_project": [], "skills_known": [],
                           "skills_available": [], "skills_wanted": [], **profile})
    out = [user, prof]
    if uid is not None:
        social = copy.deepcopy(next(r for r in rows if r["model"] == "social_django.usersocialauth"))
        social.update(pk=pk)
        social["fields"].update(user=[username], uid=uid)
        out.append(social)
    return out
