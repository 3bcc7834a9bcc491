"""A malformed export is refused with an error naming the row, and the database stays as it was."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from tests.import_helpers import SAMPLE, fresh_database, import_file, sample_rows, table_counts, write_export

pytestmark = pytest.mark.mutates_reference

Rows = list[dict[str, Any]]


def first(rows: Rows, model: str) -> dict[str, Any]:
    return next(r for r in rows if r["model"] == model)


def position(rows: Rows, row: dict[str, Any]) -> int:
    return rows.index(row) + 1


def change(model: str, **fields: Any) -> Callable[[Rows], str]:
    """Change fields of the first row of ``model``; returns the label the error must name."""
    def apply(rows: Rows) -> str:
        row = first(rows, model)
        row["fields"].update(fields)
        return f"row {position(rows, row)} ({model} pk {row['pk']})"
    return apply


def drop_field(model: str, field: str) -> Callable[[Rows], str]:
    def apply(rows: Rows) -> str:
        row = first(rows, model)
        del row["fields"][field]
        return f"row {position(rows, row)} ({model} pk {row['pk']}): missing field(s) {field}"
    return apply


def unknown_model(rows: Rows) -> str:
    rows.insert(5, {"model": "users.mystery", "pk": 1, "fields": {}})
    return "row 6 (users.mystery pk 1): unknown model"


def duplicate_pk(rows: Rows) -> str:
    row = first(rows, "bugs.bug")
    rows.append(dict(row))
    return f"row {len(rows)} (bugs.bug pk {row['pk']}): a second row with the same primary key"


def string_pk(rows: Rows) -> str:
    row = first(rows, "message.message")
    row["pk"] = "one"
    return f"row {position(rows, row)} (message.message pk 'one'): the primary key is not an integer"


@pytest.mark.parametrize(("mutate", "message"), [
    # unknown model
    (unknown_model, "unknown model 'users.mystery'"),
    # missing references: a capacity, an organization, a user (by username), a forward reference
    (change("users.profile", skills_known=[9999]), "field 'skills_known' refers to skills.skill 9999, which is not in the file"),
    (change("users.saveditem", entity="org", related_org=777, related_user=None), "refers to orgs.organization 777"),
    (change("message.message", sender=["Nobody At All"]), "field 'sender' refers to user 'Nobody At All'"),
    (change("orgs.organization", documents=[404]), "field 'documents' refers to orgs.document 404"),
    # wrong types and values nobody mapped
    (change("users.languageproficiency", proficiency="7"), "field 'proficiency' should be one of"),
    (change("users.userbadge", progress="50"), "field 'progress' should be an integer, found '50'"),
    (change("users.profile", user="Ana"), "field 'user' should be a username as [\"name\"]"),
    (change("events.events", time_begin="next tuesday"), "field 'time_begin' should be an ISO 8601 date and time"),
    (change("users.customuser", is_active="yes"), "field 'is_active' should be true or false"),
    (change("bugs.bug", status="closed"), "field 'status' should be one of"),
    (change("users.profile", territory=["br"]), "field 'territory' should be a list of primary keys"),
    (drop_field("users.profile", "pronoun"), ""),
    (change("orgs.organization", twitter="@x"), "unknown field(s) twitter"),
    (string_pk, ""),
    (duplicate_pk, ""),
    # content that cannot be imported as it is
    (change("portal.partnermentorshipformmentorresponse", data="{\"full_name\": \"in clear\"}"),
     "data is not an encrypted envelope of version 1"),
    (change("users.badge", logic={"target": "karma", "value": 3}), "internal badge logic should be"),
    (change("users.saveditem", entity="user", related_user=None), "a saved user without related_user"),
    (change("portal.partnermentorshippublickey", public_key="-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"),
     "not a usable RSA public key (invalid)"),
])
def test_a_bad_row_is_named_and_nothing_is_written(app: Any, tmp_path: Any, mutate: Callable[[Rows], str],
                                                    message: str) -> None:
    fresh_database(app)
    before = table_counts(app)
    rows = sample_rows()
    label = mutate(rows)
    result = import_file(app, write_export(tmp_path / "bad.json", rows))
    assert result.exit_code == 2, result.output
    assert label in result.output and message in result.output
    assert "nothing was imported" in result.output
    assert table_counts(app) == before


@pytest.mark.parametrize(("cut", "expected"), [
    (0.5, "the file ends in the middle of a row, after row "),
    (0.999, "the file ends in the middle of a row, after row "),
    (0.0001, "the file ends in the middle of a row, before the first row"),
])
def test_a_truncated_file_is_refused(app: Any, tmp_path: Any, cut: float, expected: str) -> None:
    fresh_database(app)
    before = table_counts(app)
    text = SAMPLE.read_text(encoding="utf-8")
    path = tmp_path / "truncated.json"
    path.write_text(text[:max(2, int(len(text) * cut))], encoding="utf-8")
    result = import_file(app, path)
    assert result.exit_code == 2 and expected in result.output, result.output
    assert table_counts(app) == before


@pytest.mark.parametrize(("content", "expected"), [
    ('{"model": "users.customuser"}', "not a dumpdata export"),
    ("", "not a dumpdata export"),
    ('[{"model": "users.customuser", "pk": 1}]', "row 1 (? pk None): not a dumpdata row"),
    ('[1, 2]', "row 1 (? pk None): not a dumpdata row"),
    ('[{"model": "users.avatar", "pk": 1, "fields": {"avatar_url": "x"}} {"model"', "invalid JSON after row 1"),
])
def test_a_file_that_is_not_an_export_is_refused(app: Any, tmp_path: Any, content: str, expected: str) -> None:
    fresh_database(app)
    before = table_counts(app)
    path = tmp_path / "other.json"
    path.write_text(content, encoding="utf-8")
    result = import_file(app, path)
    assert result.exit_code == 2 and expected in result.output, result.output
    assert table_counts(app) == before


def test_an_unusable_skill_map_is_refused_before_anything(app: Any, tmp_path: Any) -> None:
    path = tmp_path / "map.json"
    path.write_text('[{"id": "one"}]', encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["capx", "import-current", str(SAMPLE), "--skill-map", str(path)])
    assert result.exit_code != 0 and "--skill-map" in result.output
