"""Events: the public calendar with filters, event pages, iCalendar feeds, and managers' tools."""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel.dates import format_date, format_time
from flask import Blueprint, abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response

from capx.access import current_user, login_required
from capx.extensions import db
from capx.forms import concurrent_edits as edits
from capx.forms import events as forms
from capx.forms.errors import Checked, FormErrors
from capx.forms.pickers import picker_state, searching
from capx.language import current_language_chain, msg_text
from capx.translations import LazyMessage
from capx.models import Event, Organization, utcnow
from capx.services import course_images, event_fill
from capx.services import events as events_service
from capx.services import ical
from capx.services import organizations as org_service
from capx.services.capacities import capacity_tree
from capx.services.choices import capacity_choices, labels, territory_choices
from capx.services.concurrent_edits import SavedMeanwhile, saved_meanwhile
from capx.services.events import EventDetails
from capx.clients.meta_wiki import meta_wiki_client
from capx.clients.wikidata_entities import wikidata_entities_client
from capx.clients.wikilearn import wikilearn_client, wikilearn_url
from capx.support.media import commons_file_url
from capx.web import picture_response
from capx.support.pagination import make_page, requested_page

bp = Blueprint("events", __name__)

FEED_LIMIT = 500


@bp.context_processor
def format_labels() -> dict[str, Any]:
    """What each event format is called, for the events pages (no message key built in a template)."""
    return {"event_format_labels": forms.FORMAT_LABELS}


def _local_datetime(value: dt.datetime) -> str:  # an aware datetime in the event's zone
    """Medium date and short time (no seconds) in the interface language, in the event's zone."""
    locale = get_locale()
    pattern = str(locale.datetime_formats.get("medium", "{1} {0}"))
    return (pattern.replace("{1}", format_date(value.date(), "medium", locale=locale))
            .replace("{0}", format_time(value.time(), "short", locale=locale)))


@bp.app_template_global()
def event_when(event: Event) -> dict[str, str]:
    """Start and end in the event's own time zone, formatted for the interface language."""
    start = events_service.to_local(event.start_at, event.time_zone)
    end = events_service.to_local(event.end_at, event.time_zone)
    offset = start.strftime("%z")
    return {
        "start": _local_datetime(start),
        "end": _local_datetime(end),
        "start_iso": start.isoformat(), "end_iso": end.isoformat(),
        "zone": event.time_zone, "offset": f"UTC{offset[:3]}:{offset[3:]}",
    }


def _event_or_404(event_id: int) -> Event:
    event = events_service.visible_event(current_user(), event_id)
    if event is None:
        abort(404)  # also the events of hidden organizations, for anyone but staff
    return event


@bp.get("/events")
def index() -> str:
    """Upcoming events (or those in a date range), filtered, a page at a time."""
    chain = current_language_chain()
    filters = forms.read_filters(request.args)
    query = events_service.filtered_query(filters, chain)
    page = make_page(requested_page(request.args), events_service.PER_PAGE, events_service.count(query))
    items = events_service.page_of_events(query, page.offset, page.per_page)
    args = forms.filter_args(filters)

    def page_url(number: int) -> str:
        values: dict[str, Any] = {**args, "page": number}
        return url_for("events.index", **values)

    return render_template(
        "events/index.html", filters=filters, items=items, page=page, args=args, page_url=page_url,
        capacity_options=capacity_choices(chain), territory_options=territory_choices(chain),
        organization_options=org_service.visible_organization_options(chain), chain=chain, tree=capacity_tree(chain))


def _ics_response(body: str, filename: str) -> Response:
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    # Calendar apps poll feeds: let shared caches keep anonymous copies for a while. Names
    # depend on the language (and staff see hidden organizations' events), hence Vary/private.
    response.headers["Cache-Control"] = "private, max-age=300" if current_user() else "public, max-age=900"
    response.vary.update(["Cookie", "Accept-Language"])
    return response


def _ics_rows(events: list[Event]) -> list[tuple[Event, str, str]]:
    chain = current_language_chain()
    return [(e, url_for("events.event", event_id=e.id, _external=True), e.organization.name_in(chain)) for e in events]


@bp.get("/events.ics")
def feed() -> Response:
    """The calendar as an iCalendar feed, with the same filters as /events."""
    filters = forms.read_filters(request.args)
    query = events_service.filtered_query(filters, current_language_chain())
    body = ical.calendar(_ics_rows(events_service.page_of_events(query, 0, FEED_LIMIT)), request.host,
                         msg_text("events-feed-name"))
    return _ics_response(body, "capx-events.ics")


@bp.get("/events/<int:event_id>")
def event(event_id: int) -> str:
    """One event's page."""
    item = _event_or_404(event_id)
    chain = current_language_chain()
    return render_template(
        "events/event.html", event=item, org_name=item.organization.name_in(chain),
        capacities=capacity_tree(chain).pick(c.capacity_id for c in item.capacities),
        territory=labels("territory", [item.territory_id], chain) if item.territory_id else [],
        image_url=_image_url(item), can_edit=org_service.can_manage(current_user(), item.organization_id))


def _image_url(item: Event) -> str | None:
    """The event's Commons image, else CapX's copy of its course picture (never learn.wiki's)."""
    if item.image_file:
        return commons_file_url(item.image_file, width=640)
    copy = item.course_image
    if copy is None or not copy.copied or copy.fetched_at is None:
        return None
    return url_for("events.course_image", event_id=item.id, v=int(copy.fetched_at.timestamp()))


@bp.get("/events/<int:event_id>/course-image")
def course_image(event_id: int) -> Response:
    """CapX's copy of the picture of the WikiLearn course the event uses (seen by whoever may see the event)."""
    _event_or_404(event_id)
    copy = course_images.stored_copy(event_id)
    if copy is None:
        abort(404)
    return picture_response(*copy)


@bp.get("/events/<int:event_id>.ics")
def event_ics(event_id: int) -> Response:
    """One event as an iCalendar file (to add it to a calendar)."""
    item = _event_or_404(event_id)
    body = ical.calendar(_ics_rows([item]), request.host, item.title)
    return _ics_response(body, f"event-{item.id}.ics")


# -- managers --------------------------------------------------------------------------------------

def _managed_organization(organization_id: int) -> Organization:
    org = org_service.get_organization(organization_id)
    if org is None:
        abort(404)
    user = current_user()
    if not org_service.can_manage(user, org.id):
        # Refused: said so only to someone who may know that the organization (and its events) exist.
        abort(403 if org_service.may_see(user, org.id) else 404)
    return org


def _event_for_manager(event_id: int) -> tuple[Organization, Event]:
    item = events_service.get_event(event_id)
    if item is None:
        abort(404)
    return _managed_organization(item.organization_id), item


#: Seconds "Fill in from a link" waits for each remote call (the organizer is waiting).
FILL_TIMEOUT = 5


def _read_event() -> Checked[EventDetails]:
    return forms.read_event(request.form, current_language_chain(), wikilearn_url())


def _copy_course_picture(event_id: int) -> None:
    """Copy the saved event's course picture when its copy is pending. The event is committed
    already: a picture that cannot be copied now stays pending (the refresh-courses job retries)."""
    done = course_images.copy_pending(event_id, wikilearn_client(FILL_TIMEOUT))
    if done is None:
        return
    if done.error:
        db.session.rollback()
        flash("event-course-image-pending", "warning")
    else:
        db.session.commit()


def _fill(form: forms.EventForm) -> tuple[FormErrors, list[LazyMessage]]:
    """Fill the empty fields of ``form`` from the submitted link (nothing is saved): the errors
    (the link refused or unreadable) and what the organizer is told."""
    link = forms.read_fill_link(request.form)
    if link.value is None:
        return link.errors, []
    chain = current_language_chain()
    clients = event_fill.FillClients(wikidata_entities_client(FILL_TIMEOUT), meta_wiki_client(FILL_TIMEOUT),
                                     wikilearn_client(FILL_TIMEOUT))
    try:
        fill = event_fill.fetch_fill(link.value, clients, chain)
    except event_fill.FillError as exc:
        errors = FormErrors()
        errors.add("fill_link", exc.message)
        return errors, []
    labels = {t.value: t.label for t in territory_choices(chain)}
    return FormErrors(), forms.apply_fill(form, fill, labels).messages(fill.notes)


@bp.post("/organization_profile/<int:organization_id>/events/fill")
@login_required
def fill(organization_id: int) -> tuple[Response, int]:
    """The event form's "Fill in from a link" for its script: the fields to fill (those the
    organizer left empty) and what to tell them, as JSON; nothing is saved."""
    _managed_organization(organization_id)
    form = _read_event().form
    before = forms.fill_values(form)
    errors, notes = _fill(form)
    if errors:
        return jsonify(error=" ".join(str(m) for m in errors.get("fill_link", []))), 422
    after = forms.fill_values(form)
    return jsonify(fields={k: v for k, v in after.items() if v != before.get(k)},
                   messages=[str(m) for m in notes]), 200


def _form_page(org: Organization, form: forms.EventForm, errors: FormErrors, event: Event | None,
               version: int | None = None, loaded: dict[str, str] | None = None,
               changes: list[edits.FieldChange] | None = None, status: int = 200,
               fill_notes: list[LazyMessage] | None = None) -> tuple[str, int]:
    chain = current_language_chain()
    submitted = request.form if request.method == "POST" else None
    return render_template(
        "events/form.html", org=org, org_name=org.name_in(chain), form=form, errors=errors,
        fill_link=(request.form.get("fill_link") or "")[:forms.FILL_LINK_MAX] if submitted else "",
        fill_notes=fill_notes or [],
        event=event, version=version, loaded=edits.encode_snapshot(loaded or {}), changes=changes,
        capacity_picker=picker_state("capacity", "capacity", submitted, form.capacities, chain=chain),
        territory_options=territory_choices(chain), time_zones=events_service.time_zones(),
        description_max=forms.DESCRIPTION_MAX), status


@bp.route("/organization_profile/<int:organization_id>/events/new", methods=["GET", "POST"])
@login_required
def create(organization_id: int) -> Response | tuple[str, int]:
    """A manager adds an event to their organization."""
    org = _managed_organization(organization_id)
    if request.method == "GET":
        return _form_page(org, forms.event_form(), FormErrors(), None)
    checked = _read_event()
    if "fill" in request.form:
        errors, notes = _fill(checked.form)
        return _form_page(org, checked.form, errors, None, status=422 if errors else 200, fill_notes=notes)
    if searching(request.form):
        return _form_page(org, checked.form, FormErrors(), None)
    if checked.value is None:
        return _form_page(org, checked.form, checked.errors, None, status=400)
    author = current_user()
    assert author is not None
    item = events_service.add_event(org, author, checked.value)
    db.session.commit()
    flash("event-saved", "success")
    _copy_course_picture(item.id)
    return redirect(url_for("events.event", event_id=item.id))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int) -> Response | tuple[str, int]:
    """A manager edits an event; a save made by someone else meanwhile is shown, not overwritten."""
    org, item = _event_for_manager(event_id)
    chain = current_language_chain()
    if request.method == "GET":
        stored = events_service.stored_details(item)
        return _form_page(org, forms.event_form(stored), FormErrors(), item, item.version,
                          events_service.snapshot(stored, chain))
    checked = _read_event()
    loaded = edits.loaded_snapshot(request.form)
    version = edits.submitted_version(request.form)
    if "fill" in request.form:
        errors, notes = _fill(checked.form)
        return _form_page(org, checked.form, errors, item, version, loaded, status=422 if errors else 200,
                          fill_notes=notes)
    if searching(request.form):
        return _form_page(org, checked.form, FormErrors(), item, version, loaded)
    if saved_meanwhile(item.version, version):
        return _conflict(org, item, checked, loaded)
    if checked.value is None:
        return _form_page(org, checked.form, checked.errors, item, item.version, loaded, status=400)
    try:
        events_service.update_event(item, checked.value)
    except SavedMeanwhile:
        db.session.rollback()
        stored_item = events_service.get_event(event_id)
        if stored_item is None:
            abort(404)
        return _conflict(org, stored_item, checked, loaded)
    db.session.commit()
    flash("event-saved", "success")
    _copy_course_picture(item.id)
    return redirect(url_for("events.event", event_id=item.id))


def _conflict(org: Organization, item: Event, checked: Checked[EventDetails], loaded: dict[str, str]) -> tuple[str, int]:
    """Someone saved since this editor loaded the form: show what changed, keep their input."""
    stored = events_service.snapshot(events_service.stored_details(item), current_language_chain())
    changes = edits.changed_since(loaded, stored, forms.FIELD_LABELS)
    return _form_page(org, checked.form, checked.errors, item, item.version, stored, changes=changes, status=409)


@bp.post("/events/<int:event_id>/delete")
@login_required
def delete(event_id: int) -> Response:
    """A manager deletes an event."""
    org, item = _event_for_manager(event_id)
    events_service.delete_event(item)
    db.session.commit()
    flash("event-deleted", "success")
    return redirect(url_for("events.manage", organization_id=org.id))


@bp.route("/organization_profile/<int:organization_id>/events", methods=["GET", "POST"])
@login_required
def manage(organization_id: int) -> Response | tuple[str, int]:
    """A manager's list of the organization's events, where up to four are chosen to feature."""
    org = _managed_organization(organization_id)
    items = events_service.organization_events(org.id)
    errors, chosen = FormErrors(), events_service.featured_ids(items)
    if request.method == "POST":
        checked = forms.read_featured(request.form, items)
        if checked.value is not None:
            events_service.set_featured(items, checked.value)
            db.session.commit()
            flash("event-featured-saved", "success")
            return redirect(url_for("events.manage", organization_id=org.id))
        errors, chosen = checked.errors, checked.form
    return render_template("events/manage.html", org=org, org_name=org.name_in(current_language_chain()),
                           items=items, chosen=set(chosen), errors=errors, now=utcnow(),
                           max_featured=events_service.MAX_FEATURED), (400 if errors else 200)
