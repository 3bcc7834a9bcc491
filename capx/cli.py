"""``flask capx ...`` commands: reference data, demo data and the scheduled jobs.

Jobs run with the same app initialization as the web service (``create_app``), so they read the
same configuration and database.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup

from capx.extensions import db

capx_cli = AppGroup("capx", help="Capacity Exchange commands.")


@capx_cli.command("load-reference")
def load_reference_command() -> None:
    """Load or update the reference data (capacities, territories, languages, ...). Idempotent."""
    from capx.services.reference import load_reference

    load_reference(echo=click.echo)
    db.session.commit()


@capx_cli.command("seed-demo")
@click.option("--profiles", default=200, show_default=True, help="Number of demo profiles.")
@click.option("--seed", default=1, show_default=True, help="Random seed (same seed, same data).")
@click.option("--copy", "copy_", is_flag=True,
              help="Above 100,000 profiles, copy the first 100,000 inside the database (minutes instead of an hour).")
def seed_demo_command(profiles: int, seed: int, copy_: bool) -> None:
    """Create deterministic demo profiles and organizations with managers."""
    _seed(profiles, seed, copy_)


def _seed(profiles: int, seed: int, copy_: bool) -> None:
    from capx.devtools.demo import REPLICATION_BASE, replicate_demo, seed_demo

    if not copy_ or profiles <= REPLICATION_BASE:
        seed_demo(profiles, seed, echo=click.echo)
        return
    seed_demo(REPLICATION_BASE, seed, echo=click.echo)
    if replicate_demo(profiles, echo=click.echo):
        from capx.services.statistics import refresh_statistics

        refresh_statistics()
        db.session.commit()


@capx_cli.command("bench")
@click.option("--profiles", default=100_000, show_default=True, help="Demo profiles to have in the database first.")
@click.option("--requests", "requests_", default=60, show_default=True, help="Measured requests per case (at least 50).")
@click.option("--seed", default=1, show_default=True, help="Random seed of the demo data.")
@click.option("--no-seed", is_flag=True, help="Measure the database as it is, without seeding.")
def bench_command(profiles: int, requests_: int, seed: int, no_seed: bool) -> None:
    """Seed demo profiles, then measure server time of Explore and the organization list (p50, p95)."""
    from flask import current_app

    from capx.devtools.benchmark import run_benchmark

    if requests_ < 50:
        raise click.BadParameter("at least 50 requests per case", param_hint="--requests")
    if not no_seed:
        _seed(profiles, seed, copy_=True)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    results = run_benchmark(app, requests=requests_, echo=click.echo)
    if any(r.status != 200 for r in results):
        raise click.ClickException("a case did not answer 200")


@capx_cli.command("sync-accounts")
def sync_accounts_command() -> None:
    """Apply global renames and locks from Meta-Wiki to every stored account (daily job)."""
    from capx.clients.meta_wiki import meta_wiki_client
    from capx.services.accounts import SyncSummary, sync_accounts

    summary = SyncSummary()
    for _checked in sync_accounts(meta_wiki_client(), summary, echo=click.echo):
        db.session.commit()  # batch by batch
    click.echo(f"accounts: {summary.checked} checked, {summary.renamed} renamed, {summary.locked} locked, "
               f"{summary.unlocked} unlocked, {summary.failed} failed")
    if summary.failed:
        sys.exit(1)


@capx_cli.command("sync-capacities")
def sync_capacities_command() -> None:
    """Refresh capacity names and descriptions from Metabase, Wikidata as fallback (daily job)."""
    from capx.clients.metabase import metabase_client
    from capx.clients.wikidata_entities import wikidata_entities_client
    from capx.language import available_languages
    from capx.services.capacity_sync import SyncFailed, sync_capacities

    languages = [code for code in available_languages() if not code.startswith("qq")]
    try:
        summary = sync_capacities(metabase_client(), wikidata_entities_client(), languages, echo=click.echo)
    except SyncFailed as exc:
        db.session.rollback()
        click.echo(f"sync failed, nothing changed: {exc}", err=True)
        sys.exit(1)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    click.echo(f"capacities: {summary.upstream} upstream, {summary.matched} matched "
               f"({summary.matched_by_name} by English name), {summary.added} added, "
               f"{len(summary.unmatched)} not matched, {summary.missing} flagged missing, "
               f"{summary.back} back upstream; {summary.names} names, {summary.descriptions} descriptions "
               f"from Metabase, {summary.wikidata_descriptions} descriptions from Wikidata")


@capx_cli.command("badges")
@click.option("--local-only", is_flag=True, help="Only CapX's own badges: ask no remote service.")
def badges_command(local_only: bool) -> None:
    """Daily job: recompute every user's badge progress (idempotent; hand-granted badges stay), then
    import the badges people earned on WikiLearn and Let's Connect (every account, alternative
    ones too) and copy their pictures. A source that is down, or a person whose badges cannot be
    read, keeps every stored badge; the run goes on and reports per source."""
    from capx.clients.external_badges import fetch_image, wikilearn_client
    from capx.clients.lets_connect import lets_connect_client
    from capx.models import MAX_BADGE_IMAGE_BYTES, utcnow
    from capx.services import job_outages
    from capx.services.badges import recompute_all
    from capx.services.external_badges import ImportRun, import_badges, store_images

    for _earned in recompute_all(echo=click.echo):
        db.session.commit()  # batch by batch
    if local_only:
        return
    run = ImportRun()
    for _people in import_badges({"wikilearn": wikilearn_client(), "letsconnect": lets_connect_client()}, run):
        db.session.commit()  # batch by batch: a cut run keeps what it imported
    for _badge in store_images(lambda url: fetch_image(url, MAX_BADGE_IMAGE_BYTES), run):
        db.session.commit()
    for line in run.lines():
        click.echo(line)
    # Alert once per outage of a source (see fetch-news): the first failed run exits non-zero.
    alert = False
    now = utcnow()
    for report in run.sources.values():
        if report.unavailable:
            click.echo(f"warning: {report.source} was down ({report.down or 'every person failed'}); "
                       "its badges were kept as they were", err=True)
        outcome = job_outages.record_run(f"badges-{report.source}", report.unavailable, report.line(), now)
        db.session.commit()
        line = outcome.describe(f"badges ({report.source})", now)
        if line:
            click.echo(line, err=outcome.state != job_outages.RECOVERED)
        alert = alert or outcome.alert
    if alert:
        sys.exit(1)


@capx_cli.command("grant-badge")
@click.argument("username")
@click.argument("badge")
def grant_badge_command(username: str, badge: str) -> None:
    """Grant a badge by hand (BADGE: a code or a badge id); the daily recomputation never takes it away."""
    import sqlalchemy as sa

    from capx.support.usernames import normalize_username
    from capx.models import User
    from capx.services.badges import BUILT_IN_CODES, find_badge, grant

    found = find_badge(badge)
    if found is None:
        raise click.ClickException(f"unknown badge {badge!r}; a badge id or one of: {', '.join(sorted(BUILT_IN_CODES))}")
    user = db.session.scalar(sa.select(User).where(User.username == normalize_username(username)))
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    grant(user, found)
    db.session.commit()
    click.echo(f"{user.username}: badge {badge} granted")


@capx_cli.command("make-staff")
@click.argument("username")
@click.option("--remove", is_flag=True, help="Take the staff flag away instead.")
def make_staff_command(username: str, remove: bool) -> None:
    """Give (or take) the staff flag to a user who logged in at least once."""
    import sqlalchemy as sa

    from capx.support.usernames import normalize_username
    from capx.models import User

    user = db.session.scalar(sa.select(User).where(User.username == normalize_username(username)))
    if user is None:
        raise click.ClickException(f"no user named {username!r} (they must log in once first)")
    user.is_staff = not remove
    db.session.commit()
    click.echo(f"{user.username}: staff {'removed' if remove else 'granted'}")


@capx_cli.command("org-manager")
@click.argument("action", type=click.Choice(["add", "remove"]))
@click.argument("organization")
@click.argument("username")
def org_manager_command(action: str, organization: str, username: str) -> None:
    """Add or remove a manager of an organization (ORGANIZATION: id, acronym or English name)."""
    from capx.services import organizations as org_service

    org = org_service.find_organization(organization)
    if org is None:
        raise click.ClickException(f"no organization {organization!r}")
    user = org_service.manager_candidate(username)
    if user is None:
        raise click.ClickException(f"no user named {username!r} (they must log in once first)")
    changed = org_service.add_manager(org, user) if action == "add" else org_service.remove_manager(org, user.id)
    db.session.commit()
    verb = {"add": ("is now a manager of", "was already a manager of"),
            "remove": ("is no longer a manager of", "was not a manager of")}[action][0 if changed else 1]
    click.echo(f"{user.username} {verb} organization {org.id} ({org.name_in(['en'])})")


@capx_cli.command("fetch-news")
def fetch_news_command() -> None:
    """Store the latest Diff posts for every tag organizations use (hourly job)."""
    from capx.clients.diff import diff_client
    from capx.models import utcnow
    from capx.services import job_outages
    from capx.services.news import NewsSummary, fetch_news

    summary = NewsSummary()
    for _slug in fetch_news(diff_client(), summary, echo=click.echo):
        db.session.commit()  # tag by tag: a failure later keeps the posts already fetched
    click.echo(f"fetch-news: {summary.tags} tag(s), {summary.posts_added} new post(s), "
               f"{summary.posts_updated} updated, {len(summary.failed)} failed")
    # Alert once per outage: only the first failed run exits non-zero (the job runner e-mails
    # on each non-zero exit); later ones log, and the first good run logs the recovery.
    now = utcnow()
    outcome = job_outages.record_run("fetch-news", summary.diff_down, "; ".join(summary.errors), now)
    db.session.commit()
    line = outcome.describe("fetch-news", now)
    if line:
        click.echo(line, err=outcome.state != job_outages.RECOVERED)
    if outcome.alert:
        sys.exit(1)


@capx_cli.command("export-commons")
@click.option("--dry-run", is_flag=True, help="Print the three pages; log in nowhere, edit nothing, store nothing.")
@click.option("--everyone", is_flag=True,
              help="With --dry-run: treat every unlocked profile as opted in (a preview without Meta-Wiki).")
def export_commons_command(dry_run: bool, everyone: bool) -> None:
    """Publish Data:CapacityExchange/users.tab, capacities.tab and badges.tab on Commons (daily job),
    for the people whose Meta-Wiki user page transcludes Template:CapacityExchange."""
    from flask import current_app

    from capx.clients.commons import CommonsClient
    from capx.clients.http import RemoteServiceError
    from capx.clients.meta_wiki import meta_wiki_client
    from capx.services import commons_export

    if everyone and not dry_run:
        raise click.UsageError("--everyone only previews: use it with --dry-run")
    config = current_app.config
    if everyone:
        opted_in = commons_export.every_profile_name()
    else:
        try:
            opted_in = meta_wiki_client().transcluding_users(commons_export.TEMPLATE)
        except RemoteServiceError as exc:
            click.echo(f"export-commons: Meta-Wiki could not say who transcludes {commons_export.TEMPLATE} "
                       f"({exc.code}: {exc}); nothing was exported", err=True)
            sys.exit(1)
    pages = commons_export.build_pages(opted_in)
    for cut in pages.cuts:
        click.echo(f"export-commons: cut: {cut}", err=dry_run)
    if dry_run:
        for title, doc in pages.documents.items():
            click.echo(f"== {title} ==")
            click.echo(commons_export.page_text(doc))
        db.session.rollback()
        return
    user, password = config.get("CAPX_COMMONS_BOT_USER", ""), config.get("CAPX_COMMONS_BOT_PASSWORD", "")
    if not user or not password:
        click.echo("export-commons: CAPX_COMMONS_BOT_USER / CAPX_COMMONS_BOT_PASSWORD are not set", err=True)
        sys.exit(1)
    client = CommonsClient(config.get("CAPX_COMMONS_API_URL", "https://commons.wikimedia.org/w/api.php"))
    failed = 0
    for done in commons_export.export(pages, client, lambda c: c.login(user, password)):
        db.session.commit()  # page by page: a later failure keeps what was published
        if done.outcome == "failed":
            failed += 1
            click.echo(f"export-commons: {done.title}: not saved ({done.error}); the next run retries", err=True)
        else:
            rows = len(pages.documents[done.title]["data"])
            click.echo(f"export-commons: {done.title}: {done.outcome} ({rows} rows)")
    click.echo(f"export-commons: {len(opted_in)} opted-in account(s), "
               f"{len(pages.documents[commons_export.USERS]['data'])} exported, {failed} page(s) failed"
)
    if failed:
        sys.exit(1)


@capx_cli.command("refresh-courses")
def refresh_courses_command() -> None:
    """Bring events that link to a WikiLearn course up to date with it (daily job). A field changes
    only while it still holds the course's value fetched last time, so organizers' edits stay; the
    course pictures events use are copied (pending copies retried), never linked."""
    from capx.clients.wikilearn import wikilearn_client, wikilearn_url
    from capx.services.course_images import copy_all_pending
    from capx.services.event_fill import refresh_courses

    client = wikilearn_client()
    events = changed = copied = 0
    failed: list[str] = []
    pictures_failed: list[str] = []
    for done in refresh_courses(client, wikilearn_url()):
        events += 1
        if done.error:
            failed.append(f"event {done.event_id} ({done.course_key}): {done.error}")
            click.echo(f"refresh-courses: event {done.event_id}: {done.course_key} could not be read ({done.error}); "
                       "kept as it is", err=True)
            continue
        db.session.commit()  # event by event: a failure later keeps what was refreshed
        if done.image_error:
            pictures_failed.append(str(done.event_id))
            click.echo(f"refresh-courses: event {done.event_id}: the course's new picture could not be copied "
                       f"({done.image_error}); the earlier copy stays", err=True)
        if done.changed:
            changed += 1
            click.echo(f"refresh-courses: event {done.event_id}: {', '.join(done.changed)} updated from {done.course_key}")
    for picture in copy_all_pending(client):  # pictures saved with an event but not copied then
        if picture.error:
            db.session.rollback()
            pictures_failed.append(str(picture.event_id))
            click.echo(f"refresh-courses: event {picture.event_id}: course picture not copied ({picture.error}); "
                       "still pending", err=True)
            continue
        db.session.commit()
        copied += 1
    click.echo(f"refresh-courses: {events} event(s) linking to a course, {changed} updated, {len(failed)} failed; "
               f"course pictures: {copied} pending copied, {len(pictures_failed)} not copied")
    if failed:
        sys.exit(1)




@capx_cli.command("mentorship-decrypt")
@click.option("--key", "key_file", required=True, type=click.File("rb"),
              help="The partner's RSA private key (PEM), kept on the partner's machine.")
@click.option("--passphrase-env", metavar="VAR", default=None,
              help="Name of an environment variable holding the private key's passphrase.")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-", show_default=True,
              help="Where to write the CSV.")
@click.argument("download", type=click.File("rb"))
def mentorship_decrypt_command(key_file, passphrase_env, output, download) -> None:  # type: ignore[no-untyped-def]
    """Decrypt a program's applications download (JSON) into CSV, on the partner's own machine.

    Nothing is sent anywhere: the private key never leaves this computer.
    """
    import json
    import os

    from capx.services import mentorship_crypto

    password = None
    if passphrase_env:
        value = os.environ.get(passphrase_env)
        if value is None:
            raise click.ClickException(f"environment variable {passphrase_env} is not set")
        password = value.encode("utf-8")
    try:
        private_key = mentorship_crypto.load_private_key(key_file.read(), password)
    except (ValueError, TypeError) as error:
        raise click.ClickException(f"cannot read the private key: {error}") from None
    try:
        document = json.loads(download.read().decode("utf-8"))
        text, errors = mentorship_crypto.applications_csv(private_key, document)
    except (ValueError, UnicodeDecodeError) as error:
        raise click.ClickException(str(error)) from None
    output.write(text)
    for problem in errors:
        click.echo(f"skipped: {problem}", err=True)
    if errors:
        sys.exit(1)


@capx_cli.command("import-current")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Do everything, report, and change nothing (one rolled-back transaction).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the report as JSON to this file.")
@click.option("--skill-map", type=click.File("r", encoding="utf-8"), default=None,
              help="Old skill id -> capacity code (the format of skill-qids.json); wins over Wikidata QIDs.")
@click.option("--batch-size", default=1000, show_default=True, help="Rows written per transaction.")
def import_current_command(file: Path, dry_run: bool, report_path: Path | None, skill_map: Any,
                           batch_size: int) -> None:
    """Import a capx-backend export (manage.py dumpdata --all --natural-foreign) into this database.

    Run it on a database that holds only `db upgrade` and `load-reference`. A second run changes
    nothing; after an interruption, run it again: it goes on from the last committed batch.
    Exit status: 0 when every row is accounted for, 1 when a row is unexplained, 2 when the file is
    malformed (nothing was written), 3 when the import stopped (run again to resume).
    """
    import json

    from capx.clients.meta_wiki import meta_wiki_client
    from capx.clients.wikilearn import wikilearn_url
    from capx.services.importer.report import ImportReport
    from capx.services.importer.runner import ImportFileError, ImportOptions, load_skill_map, run_import

    options = ImportOptions(dry_run=dry_run, batch_size=max(1, batch_size), wikilearn_url=wikilearn_url())
    if skill_map is not None:
        try:
            options.skill_map = load_skill_map(skill_map.read())
        except ValueError as error:
            raise click.ClickException(f"--skill-map: {error}") from None
    report = ImportReport(file=str(file), dry_run=dry_run)
    try:
        for _step in run_import(file, options, report, meta_wiki=meta_wiki_client(), echo=click.echo):
            if not dry_run:
                db.session.commit()  # batch by batch: a later failure keeps what is done (resume)
    except ImportFileError as error:
        db.session.rollback()
        click.echo(f"error: {error}", err=True)
        click.echo("nothing was imported", err=True)
        sys.exit(2)
    except Exception as error:  # noqa: BLE001 # any failure: the batch in progress is undone, the rest stays
        db.session.rollback()
        click.echo(f"the import stopped: {error.__class__.__name__}: {error}", err=True)
        click.echo("committed batches are kept and recorded; run the same command again to go on", err=True)
        sys.exit(3)
    if dry_run:
        db.session.rollback()
    else:
        _after_import()
    for line in report.lines():
        click.echo(line)
    if report_path is not None:
        report_path.write_text(json.dumps(report.as_json(), ensure_ascii=False, indent=1, default=str) + "\n",
                               encoding="utf-8")
        click.echo(f"report written to {report_path}")
    if report.unexplained():
        sys.exit(1)


def _after_import() -> None:
    """Badges, statistics and Explore's search data follow the imported rows; MariaDB's id counters
    start above the ids the import moved."""
    from capx.services.badges import recompute_all
    from capx.services.importer.ids import KEPT_ID_TABLES, align_id_counters
    from capx.services.statistics import refresh_statistics

    click.echo("recomputing badges ...")
    for _earned in recompute_all(echo=click.echo):
        db.session.commit()  # batch by batch
    click.echo("refreshing statistics and name search counts ...")
    refresh_statistics()
    db.session.commit()
    with db.engine.connect() as connection:
        align_id_counters(connection, KEPT_ID_TABLES)


@capx_cli.command("refresh-statistics")
def refresh_statistics_command() -> None:
    """Recompute the Data Analytics dashboard figures (scheduled job, every 10 minutes)."""
    import time

    from capx.services.statistics import refresh_statistics

    started = time.perf_counter()
    rows = refresh_statistics()
    db.session.commit()
    click.echo(f"statistics: {rows} figures in {time.perf_counter() - started:.1f} s")


def register_cli(app: Flask) -> None:
    """Attach the command group to the app."""
    app.cli.add_command(capx_cli)


@capx_cli.command("check-config")
def check_config_command() -> None:
    """Report what the deployment still lacks (no secret is printed); exit 1 if something is missing."""
    from flask import current_app

    from capx.devtools.config_check import MISSING, check_configuration

    checks = check_configuration(current_app)
    width = max(len(c.name) for c in checks)
    for check in checks:
        click.echo(f"{check.status:<8}{check.name:<{width + 2}}{check.detail}")
    if any(c.status == MISSING for c in checks):
        sys.exit(1)
