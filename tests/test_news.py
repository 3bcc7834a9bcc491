"""Diff news: the WordPress client on recorded responses (errors included), the fetch-news job
(upsert by link, sanitized excerpts, last good copy kept), and the profile reading stored posts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
import responses
import sqlalchemy as sa

from capx.clients.diff import DIFF_API, DiffClient, DiffError
from capx.extensions import db
from capx.models import DiffPost, DiffPostTag, OrganizationDiffTag
from capx.services.news import NewsSummary, fetch_news, plain_text, posts_for_tags
from tests.conftest import add_recorded, html_text, recorded
from tests.orgs_helpers import make_org, run_fetch_news

TAG_ID = 94123


def add_tag(app: Any, org_id: int, slug: str, name: str) -> None:
    with app.app_context():
        db.session.add(OrganizationDiffTag(organization_id=org_id, slug=slug, name=name))
        db.session.commit()


# -- client ----------------------------------------------------------------------------------------

def test_client_tag_and_posts(app: Any, mocked_http: responses.RequestsMock) -> None:
    add_recorded(mocked_http, "diff-wordpress-posts-by-tag", "tag-by-slug")
    add_recorded(mocked_http, "diff-wordpress-posts-by-tag", "posts-by-tag-fields")
    with app.app_context():
        client = DiffClient()
        assert client.tag_id("capacity-exchange") == TAG_ID
        posts = client.posts(TAG_ID)
    assert [p.published_at for p in posts] == [dt.datetime(2025, 5, 20, 14), dt.datetime(2025, 2, 11, 9, 30),
                                               dt.datetime(2024, 11, 5, 16, 45)]
    assert posts[1].title_html == "Meet the &#8220;Capacity Exchange&#8221; mentorship programs"
    assert "User-Agent" in mocked_http.calls[0].request.headers
    assert "CapX" in mocked_http.calls[0].request.headers["User-Agent"]


def test_client_unknown_tag(app: Any, mocked_http: responses.RequestsMock) -> None:
    add_recorded(mocked_http, "diff-wordpress-posts-by-tag", "tag-by-slug-unknown")
    with app.app_context():
        assert DiffClient().tag_id("no-such-tag") is None


@pytest.mark.parametrize("sample,code", [("posts-error-invalid-param", "rest_invalid_param")])
def test_client_wordpress_error(app: Any, mocked_http: responses.RequestsMock, sample: str, code: str) -> None:
    add_recorded(mocked_http, "diff-wordpress-posts-by-tag", sample)
    with app.app_context(), pytest.raises(DiffError) as info:
        DiffClient()._get("posts", recorded("diff-wordpress-posts-by-tag", sample)["request"]["params"])
    assert info.value.code == code


def test_client_page_out_of_range(app: Any, mocked_http: responses.RequestsMock) -> None:
    add_recorded(mocked_http, "diff-wordpress-posts-by-tag", "posts-error-page-out-of-range")
    params = recorded("diff-wordpress-posts-by-tag", "posts-error-page-out-of-range")["request"]["params"]
    with app.app_context(), pytest.raises(DiffError) as info:
        DiffClient()._get("posts", params)
    assert info.value.code == "rest_post_invalid_page_number"


@pytest.mark.allow_network_errors
def test_client_timeout_and_html_error(app: Any, mocked_http: responses.RequestsMock) -> None:
    mocked_http.add("GET", f"{DIFF_API}/tags", body=requests.ConnectTimeout("slow"))
    with app.app_context(), pytest.raises(DiffError) as info:
        DiffClient().tag_id("x")
    assert info.value.code == "timeout"
    mocked_http.replace("GET", f"{DIFF_API}/tags", body="<html>Bad gateway</html>", status=502,
                        content_type="text/html")
    with app.app_context(), pytest.raises(DiffError) as info:
        DiffClient().tag_id("x")
    assert info.value.code == "http-502"
    mocked_http.replace("GET", f"{DIFF_API}/tags", json={"not": "a list"})
    with app.app_context(), pytest.raises(DiffError) as info:
        DiffClient().tag_id("x")
    assert info.value.code == "bad-response"


def test_plain_text_sanitizing() -> None:
    assert plain_text("<p>A look back [&hellip;]</p>\n") == "A look back […]"
    assert plain_text("Meet the &#8220;CapX&#8221;") == "Meet the “CapX”"
    assert plain_text("<script>alert(1)</script><b>Bold</b>&nbsp;text &lt;tag&gt;") == "Bold text <tag>"
    assert plain_text("x" * 50, limit=10) == "x" * 9 + "…"


@pytest.fixture()
def tagged(app: Any, mocked_http: responses.RequestsMock, make_user: Any) -> dict[str, Any]:
    """A visible organization using the Diff tag "capacity-exchange", its manager, and Diff's
    recorded answers for that tag and its posts."""
    manager = make_user("Manager One")
    org = make_org(app, managers=(manager,))
    add_tag(app, org, "capacity-exchange", "Capacity Exchange")
    add_recorded(mocked_http, "diff-wordpress-posts-by-tag", "tag-by-slug")
    add_recorded(mocked_http, "diff-wordpress-posts-by-tag", "posts-by-tag-fields")
    return {"org": org, "manager": manager}


# -- the job ---------------------------------------------------------------------------------------

def test_fetch_news_stores_and_upserts(app: Any, tagged: dict[str, Any]) -> None:
    lines: list[str] = []
    with app.app_context():
        summary = run_fetch_news(echo=lines.append)
        assert (summary.tags, summary.posts_added, summary.failed) == (1, 3, [])
        posts = db.session.scalars(sa.select(DiffPost).order_by(DiffPost.published_at.desc())).all()
        assert posts[1].title == "Meet the “Capacity Exchange” mentorship programs"
        assert posts[0].excerpt.startswith("A look back at how") and posts[0].excerpt.endswith("[…]")
        assert "<" not in posts[0].excerpt
        # running again updates, never duplicates
        summary = run_fetch_news(echo=lines.append)
        assert (summary.posts_added, summary.posts_updated) == (0, 3)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DiffPost)) == 3
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DiffPostTag)) == 3
    assert lines[0] == "fetch-news: 1 tag(s) in use" and "capacity-exchange: 3 post(s), 3 new" in lines[1]


@pytest.mark.allow_network_errors
def test_last_good_copy_kept_when_diff_is_down(app: Any, client: Any, login: Any,
                                               mocked_http: responses.RequestsMock, tagged: dict[str, Any]) -> None:
    with app.app_context():
        run_fetch_news()
    mocked_http.reset()
    mocked_http.add("GET", f"{DIFF_API}/tags", body=requests.ConnectionError("down"))
    lines: list[str] = []
    with app.app_context():
        summary = run_fetch_news(echo=lines.append)
        assert summary.failed == ["capacity-exchange"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DiffPost)) == 3
    assert "failed (unreachable): keeping the stored posts" in lines[1]
    # the profile shows the stored posts, newest first, without calling Diff
    login(client, tagged["manager"])
    page = html_text(client.get(f"/organization_profile/{tagged['org']}"))
    assert page.index("The Capacity Exchange, one year on") < page.index("Capacity Exchange: a new home for peer learning")
    assert "Meet the “Capacity Exchange” mentorship programs" in page


def _one_unknown_tag_and_one_refused(app: Any, mocked_http: responses.RequestsMock, make_user: Any) -> None:
    """An organization following two tags: Diff knows the first not, and refuses the second's posts
    (a recorded WordPress error body, served for our request)."""
    manager = make_user("Manager One")
    org = make_org(app, managers=(manager,))
    add_tag(app, org, "no-such-tag", "No such tag")
    add_tag(app, org, "capacity-exchange", "Capacity Exchange")
    add_recorded(mocked_http, "diff-wordpress-posts-by-tag", "tag-by-slug-unknown")
    add_recorded(mocked_http, "diff-wordpress-posts-by-tag", "tag-by-slug")
    error = recorded("diff-wordpress-posts-by-tag", "posts-error-invalid-param")["response"]
    mocked_http.add("GET", f"{DIFF_API}/posts", json=error["body"], status=error["status"])

def test_tag_errors_and_unknown_tags_do_not_stop_the_job(app: Any, mocked_http: responses.RequestsMock,
                                                        make_user: Any) -> None:
    _one_unknown_tag_and_one_refused(app, mocked_http, make_user)
    lines: list[str] = []
    with app.app_context():
        summary = run_fetch_news(echo=lines.append)
    assert summary.failed == ["capacity-exchange"] and summary.posts_added == 0
    assert any("no-such-tag: no such tag on Diff" in line for line in lines)
    assert any("failed (rest_invalid_param)" in line for line in lines)


def test_no_posts_for_a_tag(app: Any, mocked_http: responses.RequestsMock, make_user: Any) -> None:
    manager = make_user("Manager One")
    org = make_org(app, managers=(manager,))
    add_tag(app, org, "empty-tag", "Empty tag")
    mocked_http.add("GET", f"{DIFF_API}/tags", json=[{"id": 94124, "slug": "empty-tag", "name": "Empty tag"}])
    add_recorded(mocked_http, "diff-wordpress-posts-by-tag", "posts-by-tag-none")
    with app.app_context():
        summary = run_fetch_news()
    assert summary.posts_added == 0 and not summary.failed


def test_fetch_news_command(app: Any, tagged: dict[str, Any]) -> None:
    result = app.test_cli_runner().invoke(args=["capx", "fetch-news"])
    assert result.exit_code == 0, result.output
    assert "fetch-news: 1 tag(s), 3 new post(s), 0 updated, 0 failed" in result.output


def test_the_job_flushes_and_its_caller_commits(app: Any, tagged: dict[str, Any]) -> None:
    """The service never commits: posts it stored are gone when its caller rolls back."""
    with app.app_context():
        summary = NewsSummary()
        assert list(fetch_news(DiffClient(), summary, echo=lambda _l: None)) == ["capacity-exchange"]
        assert summary.posts_added == 3 and db.session.scalar(sa.select(sa.func.count()).select_from(DiffPost)) == 3
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DiffPost)) == 0


def test_the_command_commits_tag_by_tag(app: Any, tagged: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure after the first tag keeps the first tag's posts: the command commits after each tag."""
    add_tag(app, tagged["org"], "zz-later", "Zz later")
    real_tag_id = DiffClient.tag_id

    def tag_id(client: DiffClient, slug: str) -> int | None:
        if slug == "zz-later":
            raise RuntimeError("the job stops here")
        return real_tag_id(client, slug)

    monkeypatch.setattr(DiffClient, "tag_id", tag_id)
    result = app.test_cli_runner().invoke(args=["capx", "fetch-news"])
    assert isinstance(result.exception, RuntimeError)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DiffPost)) == 3


def test_posts_for_tags(app: Any) -> None:
    with app.app_context():
        assert posts_for_tags([]) == []
        for i in range(7):
            post = DiffPost(link=f"https://diff.wikimedia.org/{i}", title=f"P{i}",
                            published_at=dt.datetime(2025, 1, 1 + i))
            db.session.add(post)
            db.session.flush()
            db.session.add(DiffPostTag(post_id=post.id, slug="a" if i % 2 else "b"))
            if i == 6:
                db.session.add(DiffPostTag(post_id=post.id, slug="a"))
        db.session.commit()
        assert [p.title for p in posts_for_tags(["a", "b"])] == ["P6", "P5", "P4", "P3", "P2"]
        assert [p.title for p in posts_for_tags(["a"], limit=10)] == ["P6", "P5", "P3", "P1"]


# -- alert once per outage -------------------------------------------------------------------------

def _diff_down(mocked_http: responses.RequestsMock) -> None:
    mocked_http.reset()
    mocked_http.add("GET", f"{DIFF_API}/tags", body=requests.ConnectionError("down"))


def _diff_up(mocked_http: responses.RequestsMock) -> None:
    mocked_http.reset()
    add_recorded(mocked_http, "diff-wordpress-posts-by-tag", "tag-by-slug")
    add_recorded(mocked_http, "diff-wordpress-posts-by-tag", "posts-by-tag-fields")


@pytest.mark.allow_network_errors
def test_fetch_news_alerts_once_per_outage(app: Any, tagged: dict[str, Any],
                                           mocked_http: responses.RequestsMock) -> None:
    """Diff down for three hourly runs: one non-zero exit (one e-mail from the job runner), not three;
    the stored posts stay; the first good run logs the recovery and the next outage alerts again."""
    from capx.models import JobOutage

    runner = app.test_cli_runner()
    assert runner.invoke(args=["capx", "fetch-news"]).exit_code == 0  # 3 posts stored
    _diff_down(mocked_http)

    first = runner.invoke(args=["capx", "fetch-news"])
    assert first.exit_code == 1, first.output
    assert "fetch-news: failing (outage starts now" in first.output

    for runs in (2, 3):
        later = runner.invoke(args=["capx", "fetch-news"])
        assert later.exit_code == 0, later.output
        assert "fetch-news: still failing since" in later.output and f"({runs} failed runs)" in later.output
    with app.app_context():
        outage = db.session.get(JobOutage, "fetch-news")
        assert outage is not None and outage.failed_runs == 3 and outage.last_error == "capacity-exchange: unreachable"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DiffPost)) == 3

    _diff_up(mocked_http)
    recovered = runner.invoke(args=["capx", "fetch-news"])
    assert recovered.exit_code == 0, recovered.output
    assert "fetch-news: recovered after an outage since" in recovered.output and "3 failed runs" in recovered.output
    with app.app_context():
        assert db.session.get(JobOutage, "fetch-news") is None

    quiet = runner.invoke(args=["capx", "fetch-news"])
    assert quiet.exit_code == 0 and "recovered" not in quiet.output and "failing" not in quiet.output

    _diff_down(mocked_http)
    assert runner.invoke(args=["capx", "fetch-news"]).exit_code == 1  # a new outage alerts again


@pytest.mark.allow_network_errors
def test_one_failing_tag_is_not_an_outage(app: Any, mocked_http: responses.RequestsMock, make_user: Any) -> None:
    _one_unknown_tag_and_one_refused(app, mocked_http, make_user)
    result = app.test_cli_runner().invoke(args=["capx", "fetch-news"])
    assert result.exit_code == 0 and "failing" not in result.output


def test_record_run_states(app: Any) -> None:
    from capx.services import job_outages

    start = dt.datetime(2026, 12, 6, 10, 0)
    with app.app_context():
        assert job_outages.record_run("x", False, "", start).state == job_outages.OK
        first = job_outages.record_run("x", True, "a" * 500, start)
        assert first.alert and first.state == job_outages.FIRST_FAILURE
        assert len(job_outages.current_outage("x").last_error) == job_outages.ERROR_LENGTH
        second = job_outages.record_run("x", True, "b", start + dt.timedelta(hours=1))
        assert not second.alert and second.since == start and second.failed_runs == 2
        back = job_outages.record_run("x", False, "", start + dt.timedelta(hours=2))
        assert back.state == job_outages.RECOVERED and not back.alert
        assert "(120 min, 2 failed runs)" in back.describe("x", start + dt.timedelta(hours=2))
        assert job_outages.current_outage("x") is None
        db.session.rollback()
