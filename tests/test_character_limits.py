"""A character is a code point, as Python's ``len`` counts it, everywhere (issue 19).

Browsers count ``maxlength`` in UTF-16 units, where a character outside the Basic Multilingual Plane
(most emoji, many CJK ideographs, Gothic, musical symbols...) is two: a field with ``maxlength`` stops
typing at half a text the server accepts. So no rendered field carries ``maxlength`` (or
``minlength``): neither the hand-written templates nor the WTForms fields, whose ``Length``
validator would add it; the limits are the server's, with its translated message. The counters
(capx.js) count code points; the browser walk types astral characters into them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_wtf import FlaskForm
from wtforms import Form, StringField, TextAreaField

from capx.extensions import db
from capx.forms.characters import MaxCharacters
from capx.models import BugReport
from tests.conftest import html_text

TEMPLATES = Path(__file__).resolve().parents[1] / "capx" / "templates"
ASTRAL = "🌍"  # U+1F30D: one character, two UTF-16 units
#: The attributes (or Jinja keyword arguments), not hooks such as data-maxlength-counter.
LENGTH_ATTRIBUTE = re.compile(r"(?<![\w-])(max|min)length\s*=", re.I)


def all_subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from all_subclasses(sub)


def test_no_template_writes_a_length_attribute() -> None:
    found = [f"{path.relative_to(TEMPLATES)}:{n}" for path in sorted(TEMPLATES.rglob("*.html"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if LENGTH_ATTRIBUTE.search(line)]
    assert not found, f"maxlength/minlength count UTF-16 units in browsers: {found}"


def test_no_form_field_renders_a_length_attribute(app: Flask) -> None:
    """Every form of the app (found as FlaskForm subclasses, so new forms are covered), every field."""
    forms = [cls for cls in all_subclasses(FlaskForm) if cls.__module__.startswith("capx.")]
    assert len(forms) >= 10, forms
    rendered = []
    with app.test_request_context():
        for cls in forms:
            form = cls(meta={"csrf": False})
            for field in form:
                if hasattr(field, "choices") and field.choices is None:
                    field.choices = []
                html = str(field())
                rendered.append(field.name)
                assert not LENGTH_ATTRIBUTE.search(html), f"{cls.__name__}.{field.name}: {html}"
    assert len(rendered) >= 20


class _Limited(Form):
    text = TextAreaField(validators=[MaxCharacters(10)])
    line = StringField(validators=[MaxCharacters(3)])


@pytest.mark.parametrize("text, ok", [
    (ASTRAL * 10, True),  # 20 UTF-16 units, 10 characters
    (ASTRAL * 11, False),
    ("a\r\n" * 5, True),  # a line break is one character: 10
    ("a\r\nb" * 3 + "c", True),  # 10 once CR LF is one
    ("a\r\n" * 5 + "b", False),
])
def test_max_characters_counts_code_points_and_line_breaks_once(app: Flask, text: str, ok: bool) -> None:
    from werkzeug.datastructures import MultiDict

    with app.test_request_context():
        form = _Limited(MultiDict({"text": text, "line": "🌍🌍🌍"}))
        assert form.validate() is ok, form.errors
        assert "\r" not in form.text.data
        assert not LENGTH_ATTRIBUTE.search(str(form.text()) + str(form.line()))
        if not ok:
            assert [str(e) for e in form.errors["text"]] == ["Use at most 10 characters."]


def test_report_of_a_thousand_emoji_is_accepted_and_one_more_refused(app: Flask, client: Any, make_user: Any,
                                                                     login: Any) -> None:
    """The report description's limit is 1,000 characters: 1,000 emoji (2,000 UTF-16 units) pass,
    1,001 are refused with the translated message and the text kept."""
    login(client, make_user("Ana Exemplo"))
    page = html_text(client.get("/report_bug"))
    description = re.search(r'<textarea[^>]*name="description"[^>]*>', page).group(0)
    assert 'data-max="1000"' in description and not LENGTH_ATTRIBUTE.search(description)
    refused = client.post("/report_bug", data={"title": "Emoji", "description": ASTRAL * 1001, "type": "error"})
    assert refused.status_code == 422
    body = html_text(refused)
    assert "Use at most 1,000 characters." in body and ASTRAL * 1001 in body
    accepted = client.post("/report_bug", data={"title": "Emoji", "description": ASTRAL * 1000, "type": "error"})
    assert accepted.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(BugReport.description)) == ASTRAL * 1000


def test_bio_counter_is_set_up_for_code_points(client: Any, make_user: Any, login: Any) -> None:
    """The bio's counter is capx.js's (counting code points, what is left of data-max); the
    profiles.js counter counted UTF-16 units."""
    login(client, make_user("Ana Exemplo"))
    page = html_text(client.get("/profile/edit"))
    bio = re.search(r'<textarea[^>]*id="bio"[^>]*>', page).group(0)
    assert 'data-max="2000"' in bio and 'data-maxlength-counter="#bio-counter"' in bio and not LENGTH_ATTRIBUTE.search(bio)
    counter = re.search(r'<p[^>]*id="bio-counter"[^>]*>', page).group(0)
    assert 'data-count="left"' in counter and 'data-template="$1 of 2,000 characters left"' in counter
    script = (Path(__file__).resolve().parents[1] / "capx" / "static" / "js" / "capx.js").read_text(encoding="utf-8")
    assert "Array.from( text.replace( /\\r\\n/g, '\\n' ) ).length" in script
