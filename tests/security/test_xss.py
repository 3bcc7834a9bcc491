"""An XSS corpus stored in every user (and remote-fed) text and URL field outside profiles (profiles
have tests/test_profiles_xss.py), then every page that shows those fields is checked: the corpus
renders escaped, URL fields never render a ``javascript:``/``data:`` link, no attribute is injected.

The values are written straight into the tables, as if a form, a sync job or an old bug had let
them through: rendering must be safe whatever is stored. Forms that already refuse such values
(URL fields) are checked for the refusal too.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import responses

from capx.extensions import db
from capx.models import (BugReport, CapacitySuggestion, DiffPost, DiffPostTag, MentorshipQuestion, MessageLog,
                         OrganizationDetails, OrganizationDiffTag, OrganizationDocument, OrganizationName,
                         OrganizationProject, utcnow)
from tests.conftest import html_text
from tests.mentorship_helpers import make_program
from tests.orgs_helpers import make_event, make_org

RTL = "\u202egnp.exe"
CORPUS = ("<script>alert(1)</script>|\"><img src=x onerror=alert(1)>|{{7*7}}|"
          "</textarea><svg onload=alert(1)>|' onmouseover='alert(1)|" + RTL)
BAD_URLS = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)"]
DANGEROUS = ("<script>alert", "<img src=x", "<svg onload", "onmouseover='alert", "</textarea><svg")
LINK_ATTR = re.compile(r"""(?:href|src|action|formaction|poster|data)\s*=\s*["']?\s*(?:javascript|data|vbscript):""", re.IGNORECASE)


def assert_inert(page: str) -> None:
    for marker in DANGEROUS:
        assert marker not in page, marker
    assert not LINK_ATTR.search(page), LINK_ATTR.search(page)


def fit(n: int) -> str:
    return CORPUS[:n]


@pytest.fixture()
def stored(app: Any, make_user: Any) -> dict[str, Any]:
    """Every field outside profiles holds the corpus (or a hostile URL)."""
    manager = make_user("Xss Manager")
    staff = make_user("Xss Staff", is_staff=True)
    org = make_org(app, fit(255), managers=(manager,), acronym=fit(40))
    event = make_event(app, org, fit(200), url=BAD_URLS[0], location=fit(300), description=CORPUS * 50)
    with app.app_context():
        db.session.add(OrganizationName(organization_id=org, lang="pt-br", name=fit(255)))
        db.session.add(OrganizationDetails(organization_id=org, report_url=BAD_URLS[1], contact_meta_url=BAD_URLS[2],
                                           contact_email=fit(254), contact_website=BAD_URLS[3]))
        db.session.add(OrganizationProject(organization_id=org, position=0, name=fit(200), url=BAD_URLS[0],
                                           image_file=fit(255)))
        db.session.add(OrganizationDocument(organization_id=org, position=0, file_name=fit(255)))
        db.session.add(OrganizationDiffTag(organization_id=org, slug="tag", name=fit(100), position=0))
        post = DiffPost(link=BAD_URLS[0], title=fit(500), published_at=utcnow(), excerpt=CORPUS)
        post.tags.append(DiffPostTag(slug="tag"))
        db.session.add(post)
        db.session.add(BugReport(reporter_id=manager.id, title=fit(200), description=CORPUS, type="error",
                                 status="new", staff_reply=CORPUS))
        db.session.add(MessageLog(sender_id=manager.id, recipient_username=fit(255), method="talk", status="sent",
                                  talk_page_url=BAD_URLS[0]))
        db.session.add(CapacitySuggestion(user_id=manager.id, title=fit(200), description=CORPUS, reason=CORPUS))
        program = make_program(org, None, name=fit(200), questions=[
            {"role": "mentee", "kind": "single-choice", "label": fit(500), "help": CORPUS, "required": True,
             "options": [CORPUS, "B"]},
            {"role": "mentee", "kind": "short-text", "label": fit(500), "required": False}])
        from capx.models import MentorshipProgram

        row = db.session.get(MentorshipProgram, program)
        row.description, row.location = CORPUS, fit(300)
        db.session.commit()
        question = db.session.scalar(db.select(MentorshipQuestion.id).where(MentorshipQuestion.program_id == program))
    return {"manager": manager, "staff": staff, "org": org, "event": event, "program": program, "question": question}


PAGES = [
    "/home", "/organization_profile/{org}", "/organization_profile/{org}/edit", "/organization_profile/{org}/events",
    "/organization_profile/{org}/managers", "/organizations/staff", "/events", "/events/{event}", "/events/{event}/edit",
    "/report_bug/submissions", "/report_bug/triage", "/report_bug/1", "/message/sent", "/mentorship",
    "/mentorship/manage", "/mentorship/manage/{program}", "/mentorship/{program}/apply/mentee",
    "/mentorship/manage/{program}/questions/{question}", "/capacity/suggestions", "/capacity/suggestions/mine",
    "/profile", "/data_analytics_dashboard",
]


@pytest.mark.parametrize("actor", ["manager", "staff"])
@pytest.mark.parametrize("page", PAGES)
def test_stored_corpus_renders_inert(app: Any, client: Any, login: Any, stored: dict[str, Any], page: str,
                                     actor: str) -> None:
    login(client, stored[actor])
    url = page.format(**stored)
    if url == "/report_bug/1":
        with app.app_context():
            url = f"/report_bug/{db.session.scalar(db.select(BugReport.id))}"
    response = client.get(url)
    assert response.status_code in (200, 403), (url, response.status_code)
    assert_inert(html_text(response))


def test_corpus_shows_as_text(client: Any, login: Any, stored: dict[str, Any]) -> None:
    """Escaped, not dropped: the visitor sees exactly what was written."""
    login(client, stored["staff"])
    page = html_text(client.get(f"/events/{stored['event']}"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{7*7}}" in page and "49" not in re.sub(r"\d{3,}", "", page.split("{{7*7}}")[0][-20:])


def test_calendar_files_carry_the_text_not_markup(client: Any, login: Any, stored: dict[str, Any]) -> None:
    response = client.get(f"/events/{stored['event']}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))  # folded: no header injection by length
    assert "\nBEGIN:VEVENT\nX-INJECTED" not in body


# -- forms refuse hostile URLs -------------------------------------------------------------------------

@pytest.mark.parametrize("bad", BAD_URLS)
def test_event_form_refuses_script_urls(app: Any, client: Any, login: Any, make_user: Any, bad: str) -> None:
    manager = make_user("Form Manager")
    org = make_org(app, "Form Org", managers=(manager,))
    login(client, manager)
    response = client.post(f"/organization_profile/{org}/events/new", data={
        "title": "Editathon", "url": bad, "format": "online", "start_date": "2030-01-01", "start_time": "10:00",
        "end_date": "2030-01-01", "end_time": "12:00", "time_zone": "UTC"})
    assert response.status_code == 400
    assert_inert(html_text(response))
    with app.app_context():
        from capx.models import Event

        assert db.session.scalar(db.select(db.func.count()).select_from(Event)) == 0


@pytest.mark.parametrize("bad", BAD_URLS)
def test_organization_form_refuses_script_urls(app: Any, client: Any, login: Any, make_user: Any, bad: str) -> None:
    manager = make_user("Form Manager")
    org = make_org(app, "Form Org", managers=(manager,))
    login(client, manager)
    edit_page = html_text(client.get(f"/organization_profile/{org}/edit"))
    version = re.search(r'name="version" value="(\d+)"', edit_page)
    data = {"name_lang-0": "en", "name_text-0": "Form Org", "contact_website": bad, "report_url": bad,
            "contact_meta_url": bad, "project_name-0": "Project", "project_url-0": bad}
    if version:
        data["version"] = version.group(1)
    response = client.post(f"/organization_profile/{org}/edit", data=data)
    assert response.status_code == 400
    assert_inert(html_text(response))
    with app.app_context():
        assert db.session.get(OrganizationDetails, org) is None or \
            not any(str(v).lower().lstrip().startswith(("javascript", "data", "vbscript"))
                    for v in (db.session.get(OrganizationDetails, org).contact_website,
                              db.session.get(OrganizationDetails, org).report_url))


@pytest.mark.parametrize("field", ["title", "description"])
def test_bug_report_form_keeps_corpus_as_text(app: Any, client: Any, login: Any, make_user: Any, field: str) -> None:
    login(client, make_user("Reporter"))
    data = {"title": "Title", "description": "Description", "type": "error", field: fit(200)}
    assert client.post("/report_bug", data=data).status_code == 302
    assert_inert(html_text(client.get("/report_bug/submissions")))


def test_message_subject_is_inert_on_the_confirmation_page(app: Any, client: Any, login: Any, make_user: Any,
                                                           mocked_http: responses.RequestsMock) -> None:
    from capx.extensions import db
    from capx.models import User
    from capx.services.accounts import store_token
    from tests.security.test_redirects_and_limits import META_API, _meta_api_callback

    sender = make_user("Xss Sender")
    with app.app_context():  # the confirmation step needs a Meta-Wiki login (an access token)
        store_token(db.session.get(User, sender.id), "meta", ("token-key", "token-secret"))
        db.session.commit()
    login(client, sender)
    mocked_http.add_callback(responses.GET, META_API, callback=_meta_api_callback)
    response = client.post("/message", data={"recipient": "Ana Exemplo", "method": "talk", "subject": fit(150),
                                             "text": CORPUS})
    assert response.status_code == 200
    page = html_text(response)
    assert_inert(page)
    assert "&lt;script&gt;" in page  # the subject is shown, escaped


def test_very_long_values_are_refused_or_render(client: Any, login: Any, make_user: Any) -> None:
    login(client, make_user("Long Reporter"))
    response = client.post("/report_bug", data={"title": "x" * 100_000, "description": CORPUS * 1000,
                                                "type": "error"})
    assert response.status_code == 422
    assert_inert(html_text(response))
