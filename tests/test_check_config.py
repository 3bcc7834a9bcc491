"""flask capx check-config: says what is missing, never prints a secret."""

from __future__ import annotations

from capx import create_app
from tests.conftest import test_config as build_test_config


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
