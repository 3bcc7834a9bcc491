"""Staff pages about people: the overview (search, filters, pages) and its CSV export."""

from __future__ import annotations

import csv
import io
from typing import Any, Iterator

from flask import Blueprint, Response, render_template, request, stream_with_context, url_for

from capx.access import staff_required
from capx.forms import staff_people as forms
from capx.language import current_language_chain
from capx.services import staff_people as service
from capx.services.staff_people import PersonRow
from capx.support.pagination import Page, requested_page

bp = Blueprint("staff", __name__)


def _filter_args(form: forms.FilterForm) -> dict[str, Any]:
    return {key: value for key, value in (("q", form.q), ("staff", form.staff), ("locked", form.locked),
                                          ("profile", form.profile)) if value}


@bp.get("/staff/people")
@staff_required
def people() -> tuple[str, int]:
    """Every account, searchable by name and filtered by staff, locked and has a profile."""
    checked = forms.read_filter(request.args)
    args = _filter_args(checked.form)
    rows: list[PersonRow] = []
    if checked.value is None:
        page, status = Page(1, service.PER_PAGE, 0), 422
    else:
        page, rows = service.people_page(checked.value, requested_page(request.args))
        status = 200
    return render_template(
        "staff/people.html", form=checked.form, errors=checked.errors, page=page, rows=rows,
        flag_filters=forms.FLAG_FILTERS, flag_options=forms.FLAG_OPTIONS,
        export_url=url_for("staff.people_csv", **args),
        page_url=lambda n: url_for("staff.people", **args, **({"page": n} if n > 1 else {}))), status


@bp.get("/staff/people.csv")
@staff_required
def people_csv() -> Response | tuple[str, int]:
    """The public profile fields of the people the overview shows, as CSV (streamed)."""
    checked = forms.read_filter(request.args)
    if checked.value is None:
        return people()
    rows = service.export_rows(checked.value, current_language_chain())

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        yield "\ufeff"  # spreadsheets read the file as UTF-8
        for row in rows:
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    return Response(stream_with_context(generate()), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=capx-people.csv", "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})
