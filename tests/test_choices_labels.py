"""Labels for a few chosen items without loading every organization (capx.services.choices); territories
and languages come from the reference snapshot.

Pages that name one territory (an event, an organization) or a profile's few picks used to build
and sort the full list; found by the load test (docs/performance.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from capx.extensions import db
from capx.models import Language, Organization, OrganizationName, Territory
from capx.services import choices
from capx.support import scope
from capx.translations import fallback_chain

EN = fallback_chain("en")
PT = fallback_chain("pt-br")


def _ids(app: Flask) -> dict[str, int]:
    with app.app_context():
        org = Organization(acronym="WMX")
        org.names = [OrganizationName(lang="en", name="Wikimedia Example"),
                     OrganizationName(lang="pt-br", name="Wikimedia Exemplo")]
        db.session.add(org)
        db.session.commit()
        territory = {t.iso2 or t.code: t.id for t in db.session.scalars(sa.select(Territory))}
        return {"BR": territory["BR"], "PT": territory["PT"], "LAC": territory["LAC"], "org": org.id}


def test_few_labels_equal_the_full_lists(app: Flask) -> None:
    ids = _ids(app)
    wanted = {"territory": [ids["PT"], ids["LAC"], 999_999, ids["BR"]], "organization": [ids["org"], 999_999]}
    for lang in ("en", "pt-br", "ar"):
        chain = fallback_chain(lang)
        for kind, kind_ids in wanted.items():
            with app.test_request_context(f"/?uselang={lang}"), scope.opened():
                few = choices.labels(kind, kind_ids, chain)
                assert not scope.has(("organization-choices", lang))  # the full list was not built
            with app.test_request_context(f"/?uselang={lang}"), scope.opened():
                full = {c.value: c for c in choices.choices(kind, chain)}
                assert few == [full[i] for i in kind_ids if i in full]
    with app.test_request_context("/?uselang=pt-br"):
        brazil, = choices.labels("territory", [ids["BR"]], PT)
        assert (brazil.label, brazil.detail) == ("Brasil", "América Latina e Caribe")
        assert choices.labels("organization", [ids["org"]], PT)[0].label == "Wikimedia Exemplo"
        assert choices.labels("territory", [], PT) == []


def test_territory_and_language_lists_are_built_once_per_snapshot(app: Flask) -> None:
    """Both lists come from the reference snapshot, named and sorted once per snapshot and language."""
    ids = _ids(app)
    with app.test_request_context("/"), scope.opened():
        territories = choices.territory_choices(EN)
        assert choices.territory_choices(EN) is territories
        assert choices.labels("territory", [ids["BR"]], EN)[0].label == "Brazil"
        assert choices.language_choices(EN) is choices.language_choices(EN)
    with app.test_request_context("/?uselang=pt-br"):
        assert choices.labels("territory", [ids["BR"]], PT)[0].label == "Brasil"


def test_capacity_choices_are_built_once_per_tree(app: Flask) -> None:
    from capx.services.capacities import bump_tree_stamp, forget_tree
    from capx.support import stamps

    with app.app_context():  # trees are kept only under a stamp; an earlier test may have emptied them
        stamps.ensure(db.session.connection())
        db.session.commit()
    with app.test_request_context("/"), scope.opened():
        first = choices.capacity_choices(EN)
        assert choices.capacity_choices(EN) is first
        assert choices.capacity_choices(PT) is not first
        bump_tree_stamp(db.session.connection())  # what a request that changes capacities does
        db.session.commit()
        forget_tree()
        assert choices.capacity_choices(EN) is not first


def test_valid_ids_without_the_full_lists(app: Flask) -> None:
    ids = _ids(app)
    with app.app_context():
        nameless = Organization(acronym="NONAME")
        db.session.add(nameless)
        db.session.commit()
        nameless_id = nameless.id
        german = db.session.scalar(sa.select(Language.id).where(Language.code == "de"))
    asked = {"territory": [ids["BR"], 999_999, ids["BR"], -3, 10**30, ids["LAC"]],
             "language": [german, 0, 999_999],
             "organization": [nameless_id, ids["org"], 999_999]}
    for kind, kind_ids in asked.items():
        with app.test_request_context("/"), scope.opened():
            quick = choices.valid_ids(kind, kind_ids, EN)
            assert not scope.has(("organization-choices", "en"))  # the full list was not built
        with app.test_request_context("/"), scope.opened():
            choices.choices(kind, EN)  # the full list is there: it is used
            assert choices.valid_ids(kind, kind_ids, EN) == quick
    assert quick == [ids["org"]]  # an organization without a name cannot be picked
    with app.test_request_context("/"):
        assert choices.valid_ids("territory", list(range(1, 400)), EN) == sorted(
            c.value for c in choices.territory_choices(EN) if c.value < 400)
        assert choices.valid_ids("language", [], EN) == []
