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
    for error in errors:
        click.echo(f"skipped: {error}", err=True)
    if errors:
        sys.exit(1)


@capx_cli.command("refresh-statistics")
def refresh_statistics_command() -> None:
    """Recompute the Data Analytics dashboard figures (scheduled job, every 10 minutes)."""
    import time

    from capx.services.statistics import refresh_statistics

    started = time.perf_counter()
    rows = refresh_statistics()
    click.echo(f"statistics: {rows} figures in {time.perf_counter() - started:.1f} s")


def register_cli(app: Flask) -> None:
    """Attach the command group to the app."""
    app.cli.add_command(capx_cli)
