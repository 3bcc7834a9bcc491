"""Events: the public calendar with filters, event pages, iCalendar feeds, and managers' tools."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from babel.dates import format_date, format_time
from flask_babel import get_locale
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from capx.access import current_user, login_required
from capx.extensions import db
from capx.language import current_language_chain, msg_text
from capx.models import EVENT_FORMATS, Event, Organization, utcnow
from capx.forms.pickers import int_list, picker_state, searching
from capx.services import events as events_service
from capx.services import ical
from capx.services import organizations as org_service
from capx.services.capacities import capacity_tree
from capx.services.choices import capacity_choices, labels, territory_choices
from capx.support.media import commons_file_url
from capx.support.pagination import make_page, requested_page

bp = Blueprint("events", __name__)

FEED_LIMIT = 500


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


def _visible_organization_options() -> list[tuple[int, str]]:
    chain = current_language_chain()
    orgs = db.session.scalars(org_service.visible_organizations_query().options(selectinload(Organization.names))).all()
    return sorted(((o.id, o.name_in(chain)) for o in orgs), key=lambda pair: pair[1].casefold())


def _event_or_404(event_id: int) -> Event:
    event = db.session.scalar(events_service.with_relations(sa.select(Event).where(Event.id == event_id)))
    if event is None:
        abort(404)
    user = current_user()
    if not (user and user.is_staff) and not org_service.is_visible_id(event.organization_id):
        abort(404)  # events of hidden organizations are not public
    return event


@bp.get("/events")
def index() -> str:
    """Upcoming events (or those in a date range), filtered, a page at a time."""
    filters = events_service.parse_filters(request.args)
    query = events_service.filtered_query(filters)
    page = make_page(requested_page(request.args), events_service.PER_PAGE, events_service.count(query))
    items = events_service.page_of_events(query, page.offset, page.per_page)
    args = filters.query_args()
    return render_template(
        "events/index.html", filters=filters, items=items, page=page, args=args,
        page_url=lambda n: url_for("events.index", **args, page=n),
        capacity_options=capacity_choices(current_language_chain()), territory_options=territory_choices(current_language_chain()),
        organization_options=_visible_organization_options(), formats=EVENT_FORMATS,
        chain=current_language_chain(), tree=capacity_tree(current_language_chain()))


def _ics_response(body: str, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
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
    filters = events_service.parse_filters(request.args)
    events = events_service.page_of_events(events_service.filtered_query(filters), 0, FEED_LIMIT)
    body = ical.calendar(_ics_rows(events), request.host, msg_text("events-feed-name"))
    return _ics_response(body, "capx-events.ics")


@bp.get("/events/<int:event_id>")
def event(event_id: int) -> str:
    """One event's page."""
    item = _event_or_404(event_id)
    tree = capacity_tree(current_language_chain())
    return render_template(
        "events/event.html", event=item, org_name=item.organization.name_in(current_language_chain()),
        capacities=[tree.get(c.capacity_id) for c in item.capacities if tree.get(c.capacity_id)],
        territory=labels("territory", [item.territory_id], current_language_chain()) if item.territory_id else [],
        image_url=commons_file_url(item.image_file, width=640) if item.image_file else None,
        can_edit=org_service.can_manage(current_user(), item.organization_id))


@bp.get("/events/<int:event_id>.ics")
def event_ics(event_id: int) -> Response:
    """One event as an iCalendar file (to add it to a calendar)."""
    item = _event_or_404(event_id)
    body = ical.calendar(_ics_rows([item]), request.host, item.title)
    return _ics_response(body, f"event-{item.id}.ics")


# -- managers --------------------------------------------------------------------------------------

def _managed_org_or_403(organization_id: int) -> Organization:
    org = db.session.get(Organization, organization_id)
    if org is None:
        abort(404)
    if not org_service.can_manage(current_user(), org.id):
        # A hidden organization (no manager) is private: do not confirm that it or its events exist.
        abort(403 if org_service.is_visible(org) else 404)
    return org


def _render_form(org: Organization, edit: events_service.EventEdit, errors: dict, event: Event | None,
                 version: int | None = None, loaded: dict[str, str] | None = None,
                 changes: list[org_service.FieldChange] | None = None, status: int = 200) -> tuple[str, int]:
    form = request.form if request.method == "POST" else None
    return render_template(
        "events/form.html", org=org, org_name=org.name_in(current_language_chain()), edit=edit, errors=errors,
        event=event, version=version, loaded=org_service.encode_snapshot(loaded or {}), changes=changes,
        capacity_picker=picker_state("capacity", "capacity", form, edit.capacities, chain=current_language_chain()),
        territory_options=territory_choices(current_language_chain()), time_zones=events_service.time_zones(),
        description_max=events_service.DESCRIPTION_MAX,
        formats=EVENT_FORMATS), status


@bp.route("/organization_profile/<int:organization_id>/events/new", methods=["GET", "POST"])
@login_required
def create(organization_id: int) -> Response | tuple[str, int]:
    """A manager adds an event to their organization."""
    org = _managed_org_or_403(organization_id)
    if request.method == "GET":
        return _render_form(org, events_service.EventEdit(), {}, None)
    edit, errors = events_service.parse_event(request.form)
    if searching(request.form):
        return _render_form(org, edit, {}, None)
    if errors:
        return _render_form(org, edit, errors, None, status=400)
    item = events_service.new_event(org.id, current_user())
    events_service.apply_event(item, edit)
    db.session.add(item)
    db.session.commit()
    flash("event-saved", "success")
    return redirect(url_for("events.event", event_id=item.id))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int) -> Response | tuple[str, int]:
    """A manager edits an event; a save made by someone else meanwhile is shown, not overwritten."""
    item = db.session.get(Event, event_id)
    if item is None:
        abort(404)
    org = _managed_org_or_403(item.organization_id)
    if request.method == "GET":
        current = events_service.edit_from_event(item)
        return _render_form(org, current, {}, item, item.version, events_service.event_snapshot(current))
    data, errors = events_service.parse_event(request.form)
    loaded = org_service.decode_snapshot(request.form.get("loaded"))
    if searching(request.form):
        return _render_form(org, data, {}, item, org_service.submitted_version(request.form), loaded)
    if org_service.submitted_version(request.form) != item.version:
        return _event_conflict(org, item, data, errors, loaded)
    if errors:
        return _render_form(org, data, errors, item, item.version, loaded, status=400)
    try:
        events_service.apply_event(item, data)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        item = db.session.get(Event, event_id)
        if item is None:
            abort(404)
        return _event_conflict(org, item, data, errors, loaded)
    flash("event-saved", "success")
    return redirect(url_for("events.event", event_id=item.id))


def _event_conflict(org: Organization, item: Event, data: events_service.EventEdit, errors: dict,
                    loaded: dict[str, str]) -> tuple[str, int]:
    stored = events_service.event_snapshot(events_service.edit_from_event(item))
    changes = org_service.changed_since(loaded, stored, events_service.EVENT_SNAPSHOT_FIELDS)
    return _render_form(org, data, errors, item, item.version, stored, changes=changes, status=409)


@bp.post("/events/<int:event_id>/delete")
@login_required
def delete(event_id: int) -> Response:
    """A manager deletes an event."""
    item = db.session.get(Event, event_id)
    if item is None:
        abort(404)
    org = _managed_org_or_403(item.organization_id)
    db.session.delete(item)
    db.session.commit()
    flash("event-deleted", "success")
    return redirect(url_for("events.manage", organization_id=org.id))


@bp.route("/organization_profile/<int:organization_id>/events", methods=["GET", "POST"])
@login_required
def manage(organization_id: int) -> Response | tuple[str, int]:
    """A manager's list of the organization's events, where up to four are chosen to feature."""
    org = _managed_org_or_403(organization_id)
    error = None
    if request.method == "POST":
        chosen = int_list(request.form.getlist("featured"))
        if events_service.set_featured(org.id, chosen):
            db.session.commit()
            flash("event-featured-saved", "success")
            return redirect(url_for("events.manage", organization_id=org.id))
        error = "event-featured-too-many"
    items = events_service.organization_events(org.id)
    chosen_ids = int_list(request.form.getlist("featured")) if error else \
        [e.id for e in sorted(items, key=lambda e: e.featured_position or 99) if e.featured_position]
    return render_template("events/manage.html", org=org, org_name=org.name_in(current_language_chain()),
                           items=items, chosen=set(chosen_ids), error=error, now=utcnow(),
                           max_featured=events_service.MAX_FEATURED), (400 if error else 200)


@bp.app_template_global()
def event_image_url(file_name: str, width: int = 320) -> str:
    return commons_file_url(file_name, width=width)
