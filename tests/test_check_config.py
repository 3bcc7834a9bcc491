"""flask capx check-config: says what is missing, never prints a secret."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from flask import Flask

from capx import create_app
from capx.devtools.config_check import OK, WARN, _proxy
from tests.conftest import test_config as build_test_config

REPO = Path(__file__).resolve().parents[1]


def run(app):
    return app.test_cli_runner().invoke(args=["capx", "check-config"])


def test_complete_configuration_passes_and_hides_secrets(app, database_urls):
    config = build_test_config(*database_urls, SECRET_KEY="s3cr3t-" + "x" * 40, CAPX_DEV_LOGIN=False,
                               CAPX_METABASE_BOT_USER="CapX bot", CAPX_METABASE_BOT_PASSWORD="bot-password-value",
                               CAPX_TOKEN_KEYS=("a" * 43 + "=",))
    result = run(create_app(config))
    assert result.exit_code == 0, result.output
    assert "s3cr3t" not in result.output
    assert "bot-password-value" not in result.output
    assert "test-consumer-secret" not in result.output
    assert "schema" in result.output and "up to date" in result.output


def test_missing_consumer_and_unreachable_store_are_reported(app, database_urls):
    config = build_test_config(database_urls[0], "mysql+pymysql://capx:hunter2@127.0.0.1:1/nothing",
                               CAPX_OAUTH_CONSUMER_KEY="", CAPX_OAUTH_CONSUMER_SECRET="")
    result = run(create_app(config))
    assert result.exit_code == 1
    assert "missing Meta-Wiki OAuth consumer" in " ".join(result.output.split())
    assert "Let's Connect store" in result.output and "unreachable" in result.output
    assert "hunter2" not in result.output


def test_half_configured_production_reports_everything_and_no_secret(tmp_path: Path) -> None:
    """What an operator sees on Toolforge before the setup is finished: every missing piece at
    once (the webservice itself would stop at the first line), and none of the secrets set so far."""
    secrets = {
        "CAPX_SECRET_KEY": "short-secret-value",
        "CAPX_OAUTH_CONSUMER_SECRET": "oauth-consumer-secret-value",
        "CAPX_METABASE_BOT_PASSWORD": "bot-password-value",
        "CAPX_TOKEN_KEYS": "token-key-value-0123456789",
    }
    db_password = "db-password-value"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CAPX_")}
    env.update(secrets)
    env.update({"CAPX_ENV": "production", "HOME": str(tmp_path), "PYTHONPATH": str(REPO),
                # Unreachable MariaDB (nothing listens on port 1), and the Let's Connect store in the same database.
                "CAPX_DATABASE_URL": f"mysql+pymysql://capx:{db_password}@127.0.0.1:1/capx?charset=utf8mb4",
                "CAPX_LETS_CONNECT_DATABASE_URL": f"mysql+pymysql://capx:{db_password}@127.0.0.1:1/capx?charset=utf8mb4"})
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    result = subprocess.run([*flask, "capx", "check-config"], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output

    def line(name: str) -> str:
        found = [row for row in result.stdout.splitlines() if re.match(rf"\S+\s+{re.escape(name)}\s\s", row)]
        assert len(found) == 1, (name, result.stdout)
        return " ".join(found[0].split())

    assert line("startup").startswith("missing")
    assert line("secret key").startswith("warn") and "short" in line("secret key")
    assert line("Meta-Wiki OAuth consumer").startswith("missing") \
        and "CAPX_OAUTH_CONSUMER_KEY" in line("Meta-Wiki OAuth consumer")
    assert line("database").startswith("missing") and "unreachable" in line("database")
    assert line("Let's Connect store").startswith("missing") and "separate database" in line("Let's Connect store")
    assert line("Metabase bot credentials").startswith("warn")
    assert "CAPX_METABASE_BOT_USER is not set" in line("Metabase bot credentials")
    assert "reverse proxy" in result.stdout
    for value in [*secrets.values(), db_password]:
        assert value not in output, value
    # Any other command (a job, uWSGI importing app.py) still refuses with one line.
    refused = subprocess.run([*flask, "capx", "load-reference"], cwd=REPO, env=env, capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode != 0
    assert refused.stderr.strip().startswith("CapX refuses to start in production: ")


def test_proxy_line(app: Flask) -> None:
    assert _proxy({"CAPX_PROXY_HOPS": 0}, production=False).status == OK
    behind_nothing = _proxy({"CAPX_PROXY_HOPS": 0}, production=True)
    assert behind_nothing.status == WARN and "set it to 1" in behind_nothing.detail
    toolforge = _proxy({"CAPX_PROXY_HOPS": 1}, production=True)
    assert toolforge.status == OK and "per session" in toolforge.detail
    assert "X-Forwarded-For" in _proxy({"CAPX_PROXY_HOPS": 2, "CAPX_PROXY_FORWARDED_FOR": True}, True).detail


def test_lets_connect_signing_key_is_checked(app, database_urls, tmp_path: Path) -> None:
    """Set and a readable RSA private key: ok (its size shown, never its content); unreadable,
    not a key, or another kind of key: missing."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    good = REPO / "tests" / "fixtures" / "keys" / "lets-connect-test-private.pem"
    result = run(create_app(build_test_config(*database_urls, CAPX_LETS_CONNECT_PRIVATE_KEY=str(good))))
    line = next(x for x in result.output.splitlines() if "Let's Connect signing key" in x)
    assert "RSA private key, 2048 bits" in line and "PRIVATE KEY-----" not in result.output
    not_a_key = tmp_path / "not-a-key.pem"
    not_a_key.write_text("hello")
    other = tmp_path / "ec.pem"
    other.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    for path, expected in ((tmp_path / "absent.pem", "cannot be read"), (not_a_key, "not an unencrypted PEM RSA"),
                           (other, "not an unencrypted PEM RSA")):
        result = run(create_app(build_test_config(*database_urls, CAPX_LETS_CONNECT_PRIVATE_KEY=str(path))))
        assert result.exit_code == 1
        line = " ".join(next(x for x in result.output.splitlines() if "Let's Connect signing key" in x).split())
        assert "missing" in line and expected in line


def test_staff_queue_limits_line(app: Flask) -> None:
    from capx.devtools.config_check import _filing_limits

    line = _filing_limits({"CAPX_REPORT_LIMIT_HOUR": 5, "CAPX_REPORT_LIMIT_DAY": 20,
                           "CAPX_SUGGESTION_LIMIT_HOUR": 5, "CAPX_SUGGESTION_LIMIT_DAY": 20})
    assert line.status == OK and "bug reports 5/hour, 20/day" in line.detail
    assert "capacity suggestions 5/hour, 20/day" in line.detail
    odd = _filing_limits({"CAPX_REPORT_LIMIT_HOUR": 30, "CAPX_REPORT_LIMIT_DAY": 20})
    assert odd.status == WARN and "CAPX_REPORT_LIMIT_HOUR is above CAPX_REPORT_LIMIT_DAY" in odd.detail
