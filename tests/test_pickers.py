"""Pickers that work without JavaScript, and the JSON suggestions that enhance them."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, render_template_string
from werkzeug.datastructures import MultiDict

from capx.extensions import db
from capx.models import Language, Territory
from capx.forms.pickers import ENTER, int_list, picker_state, searching
from capx.services.reference import load_reference
from capx.translations import fallback_chain
from tests.conftest import statements_run

MACRO = '{% from "macros/pickers.html" import picker %}{{ picker(state, "Territories") }}'


def ids(app: Flask) -> dict[str, int]:
    with app.app_context():
        brazil = db.session.scalar(sa.select(Territory.id).where(Territory.iso2 == "BR"))
        portugal = db.session.scalar(sa.select(Territory.id).where(Territory.iso2 == "PT"))
        german = db.session.scalar(sa.select(Language.id).where(Language.code == "de"))
    return {"BR": brazil, "PT": portugal, "de": german}


def test_int_list() -> None:
    assert int_list(["3", "x", "", "3", "7", "-1", "2.5"]) == [3, 7, -1]


@pytest.mark.parametrize(("data", "expected"), [
    # a picker's own Search button
    ([("picker_search", "territory")], "territory"),
    ([], None),
    # Enter (the hidden first button): the first picker with search text...
    ([("picker_search", ENTER), ("capacity__present", "1"), ("capacity_q", " "), ("territory__present", "1"),
      ("territory_q", "bra"), ("language__present", "1"), ("language_q", "port")], "territory"),
    # ...whose text is new: a box keeps the text of its last search
    ([("picker_search", ENTER), ("capacity__present", "1"), ("capacity_q", "communic"),
      ("capacity_q_searched", "communic"), ("territory__present", "1"), ("territory_q", "latin")], "territory"),
    ([("picker_search", ENTER), ("capacity__present", "1"), ("capacity_q", "communic"),
      ("capacity_q_searched", "communic")], "capacity"),
    # ...and none when every box is empty: the form is submitted as its main button would
    ([("picker_search", ENTER), ("capacity__present", "1"), ("capacity_q", "")], None),
    # a field ending in _q that is not a picker's box does not count
    ([("picker_search", ENTER), ("other_q", "text")], None),
])
def test_searching(data: list[tuple[str, str]], expected: str | None) -> None:
    assert searching(MultiDict(data)) == expected


def test_every_form_with_pickers_starts_with_the_enter_key(app: Flask) -> None:
    """Enter presses a form's first submit button: in every form with a picker it must be the
    hidden enter_key button, or Enter in a search box would press another picker's Search or Save."""
    import re
    from pathlib import Path

    templates = Path(app.root_path) / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for form in re.findall(r"<form\b.*?</form>", text, flags=re.S):
            if "picker(" in form:
                first_button = re.search(r"<button|enter_key\(\)|filter_actions\(", form)
                assert first_button and first_button.group(0) == "enter_key()", path.name


def test_initial_selection(app: Flask) -> None:
    known = ids(app)
    with app.test_request_context("/?uselang=pt-br"):
        state = picker_state("territory", "territory", None, [known["BR"], 999999], chain=fallback_chain("pt-br"))
        assert [c.label for c in state.selected] == ["Brasil"]
        assert state.candidates == [] and state.query == ""


def test_submitted_selection_wins(app: Flask) -> None:
    known = ids(app)
    with app.test_request_context("/"):
        data = MultiDict([("territory__present", "1"), ("territory", str(known["PT"])), ("territory", "junk")])
        state = picker_state("territory", "territory", data, [known["BR"]], chain=["en"])
        assert state.selected_ids == [known["PT"]]
        # Everything unticked: the hidden marker says the picker was there, so nothing is chosen.
        state = picker_state("territory", "territory", MultiDict([("territory__present", "1")]), [known["BR"]], chain=["en"])
        assert state.selected_ids == []


def test_search_step_without_javascript(app: Flask) -> None:
    known = ids(app)
    with app.test_request_context("/"):
        data = MultiDict([("territory__present", "1"), ("territory", str(known["BR"])),
                          ("territory_q", "portu"), ("picker_search", "territory")])
        state = picker_state("territory", "territory", data, chain=["en"])
        assert state.query == "portu"
        assert known["PT"] in [c.value for c in state.candidates]
        assert known["BR"] not in [c.value for c in state.candidates]
        html = render_template_string(MACRO, state=state)
    assert f'name="territory" value="{known["BR"]}" checked' in html
    assert f'name="territory" value="{known["PT"]}">' in html  # a candidate, not ticked
    assert 'name="picker_search" value="territory"' in html
    assert 'name="territory__present"' in html


def test_search_for_another_picker_finds_nothing_here(app: Flask) -> None:
    with app.test_request_context("/"):
        data = MultiDict([("territory_q", "portu"), ("picker_search", "language")])
        assert picker_state("territory", "territory", data, chain=["en"]).candidates == []


def test_no_results_message_escapes_the_query(app: Flask) -> None:
    with app.test_request_context("/"):
        data = MultiDict([("territory_q", "<b>zzzz</b>"), ("picker_search", "territory")])
        html = render_template_string(MACRO, state=picker_state("territory", "territory", data, chain=["en"]))
    assert "Nothing matches “&lt;b&gt;zzzz&lt;/b&gt;”" in html


def test_suggest_api(client: Any, app: Flask) -> None:
    known = ids(app)
    r = client.get("/api/suggest/territory?q=bras&uselang=pt-br")
    assert r.status_code == 200
    assert {"value": known["BR"], "label": "Brasil", "detail": "América Latina e Caribe"} in r.get_json()
    r = client.get("/api/suggest/language?q=deutsch")  # found by autonym
    assert known["de"] in [item["value"] for item in r.get_json()]
    assert client.get("/api/suggest/capacity?q=").get_json() == []
    assert client.get("/api/suggest/secrets?q=a").status_code == 404
    assert len(client.get("/api/suggest/territory?q=a").get_json()) <= 20


def test_suggest_capacities_and_organizations(client: Any, app: Flask) -> None:
    with app.app_context():
        load_reference(echo=lambda _l: None)
        db.session.commit()
    hits = client.get("/api/suggest/capacity?q=communication").get_json()
    assert hits and all(set(h) == {"value", "label", "detail"} for h in hits)
    hits = client.get("/api/suggest/organization?q=WMB").get_json()
    assert any("Brasil" in h["label"] or h["detail"] == "WMB" for h in hits)


def test_suggest_query_count_is_bounded(client: Any, app: Flask) -> None:
    for kind in ("territory", "language", "capacity", "organization"):
        with statements_run(app) as statements:
            client.get(f"/api/suggest/{kind}?q=a")
        assert len(statements) <= 4, kind
