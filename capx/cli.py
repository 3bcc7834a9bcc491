"""``flask capx ...`` commands: reference data, demo data and the scheduled jobs.

Jobs run with the same app initialization as the web service (``create_app``), so they read the
same configuration and database.
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

capx_cli = AppGroup("capx", help="Capacity Exchange commands.")


@capx_cli.command("load-reference")
def load_reference_command() -> None:
    """Load or update the reference data (capacities, territories, languages, ...). Idempotent."""
    from capx.services.reference import load_reference

    load_reference(echo=click.echo)


@capx_cli.command("seed-demo")
@click.option("--profiles", default=200, show_default=True, help="Number of demo profiles.")
@click.option("--seed", default=1, show_default=True, help="Random seed (same seed, same data).")
def seed_demo_command(profiles: int, seed: int) -> None:
    """Create deterministic demo profiles and organizations with managers."""
    from capx.services.demo import seed_demo

    seed_demo(profiles, seed, echo=click.echo)


@capx_cli.command("bench")
@click.option("--profiles", default=100_000, show_default=True, help="Demo profiles to have in the database first.")
@click.option("--requests", "requests_", default=60, show_default=True, help="Measured requests per case (at least 50).")
@click.option("--seed", default=1, show_default=True, help="Random seed of the demo data.")
@click.option("--no-seed", is_flag=True, help="Measure the database as it is, without seeding.")
def bench_command(profiles: int, requests_: int, seed: int, no_seed: bool) -> None:
    """Seed demo profiles, then measure server time of Explore and the organization list (p50, p95)."""
    from flask import current_app

    from capx.services.benchmark import run_benchmark
    from capx.services.demo import seed_demo

    if requests_ < 50:
        raise click.BadParameter("at least 50 requests per case", param_hint="--requests")
    if not no_seed:
        seed_demo(profiles, seed, echo=click.echo)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    results = run_benchmark(app, requests=requests_, echo=click.echo)
    if any(r.status != 200 for r in results):
        raise click.ClickException("a case did not answer 200")


@capx_cli.command("sync-accounts")
def sync_accounts_command() -> None:
    """Apply global renames and locks from Meta-Wiki to every stored account (daily job)."""
    from capx.clients.meta_wiki import meta_wiki_client
    from capx.services.accounts import sync_accounts

    summary = sync_accounts(meta_wiki_client(), echo=click.echo)
    click.echo(f"accounts: {summary.checked} checked, {summary.renamed} renamed, {summary.locked} locked, "
               f"{summary.unlocked} unlocked, {summary.failed} failed")
    if summary.failed:
        sys.exit(1)


@capx_cli.command("make-staff")
@click.argument("username")
@click.option("--remove", is_flag=True, help="Take the staff flag away instead.")
def make_staff_command(username: str, remove: bool) -> None:
    """Give (or take) the staff flag to a user who logged in at least once."""
    import sqlalchemy as sa

    from capx.extensions import db
    from capx.forms import normalize_username
    from capx.models import User

    user = db.session.scalar(sa.select(User).where(User.username == normalize_username(username)))
    if user is None:
        raise click.ClickException(f"no user named {username!r} (they must log in once first)")
    user.is_staff = not remove
    db.session.commit()
    click.echo(f"{user.username}: staff {'removed' if remove else 'granted'}")


def register_cli(app: Flask) -> None:
    """Attach the command group to the app."""
    app.cli.add_command(capx_cli)
