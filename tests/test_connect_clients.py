"""Let's Connect's client against recorded answers: registration (a JWT the public key verifies),
existence, badges (success, empty, not found, malformed, timeout, items missing fields)."""

from __future__ import annotations

import datetime as dt
import json

import jwt
import pytest
import requests

from capx.clients.external_badges import parse_timestamp
from capx.clients.lets_connect import LetsConnectClient, LetsConnectError, Registration
from tests.conftest import FIXTURES, add_recorded

BASE = "https://letsconn.toolforge.org"
KEY = str(FIXTURES / "keys" / "lets-connect-test-private.pem")
PUBLIC_KEY = (FIXTURES / "keys" / "lets-connect-test-public.pem").read_bytes()
DATA = Registration(full_name="Ana Exemplo", email="ana@example.org", role="paid-staff", area="education",
                    gender="woman", age="25-34")


def client(key: str | None = KEY) -> LetsConnectClient:
    return LetsConnectClient(BASE, private_key_path=key)


def test_register_sends_a_signed_token_and_returns_the_confirmation(mocked_http):
    add_recorded(mocked_http, "letsconnect-endpoint", "confirmed")
    assert client().register("Ana Exemplo", DATA) == "LC-2026-000123"
    [call] = mocked_http.calls
    assert call.request.method == "POST" and call.request.url == f"{BASE}/endpoint/"
    body = json.loads(call.request.body)
    assert list(body) == ["token"]
    assert jwt.get_unverified_header(body["token"])["alg"] == "RS256"
    claims = jwt.decode(body["token"], PUBLIC_KEY, algorithms=["RS256"])
    assert set(claims) == {"user", "timestamp", "nonce", "full_name", "email", "role", "area", "gender", "age"}
    assert claims["user"] == "Ana Exemplo" and claims["area"] == "education"


def test_a_token_signed_by_another_key_does_not_verify():
    token = client().token("Ana Exemplo", DATA)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other, algorithms=["RS256"])


@pytest.mark.allow_network_errors
@pytest.mark.parametrize("sample, code", [("refused", "http-400"), ("server-error", "http-502"),
                                          ("no-confirmation", "badjson")])
def test_register_errors(mocked_http, sample, code):
    add_recorded(mocked_http, "letsconnect-endpoint", sample)
    with pytest.raises(LetsConnectError) as info:
        client().register("Ana Exemplo", DATA)
    assert info.value.code == code


@pytest.mark.allow_network_errors
def test_register_timeout_and_missing_key(mocked_http, tmp_path):
    mocked_http.add("POST", f"{BASE}/endpoint/", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(LetsConnectError) as info:
        client().register("Ana Exemplo", DATA)
    assert info.value.code == "timeout"
    for key in (None, str(tmp_path / "absent.pem")):
        with pytest.raises(LetsConnectError) as info:
            client(key).register("Ana Exemplo", DATA)
        assert info.value.code == "nokey"
    assert len(mocked_http.calls) == 1  # nothing sent without a key


def test_exists(mocked_http):
    add_recorded(mocked_http, "letsconnect-exists", "exists")
    add_recorded(mocked_http, "letsconnect-exists", "not-registered")
    assert client().exists("Ana Exemplo") is True
    assert client().exists("Bruno Exemplo") is False
    mocked_http.add("GET", f"{BASE}/exists/", status=404, body="")
    assert client().exists("Nobody") is False


def test_badges_success_empty_and_not_found(mocked_http):
    for name in ("user-with-badges", "user-without-badges", "unknown-user"):
        add_recorded(mocked_http, "letsconnect-user-badges", name)
    badges = client().badges("Ana Exemplo")
    assert [b.name for b in badges] == ["Let's Connect Learner", "Let's Connect Sharer"]
    first, second = badges
    assert first.assertion_url == f"{BASE}/badge/9f2c4a7e1b/"
    assert first.image_url == "https://letsconn.toolforge.org/media/badges/learner.png" and second.image_url is None
    assert first.issued_at == dt.datetime(2025, 3, 14, 10, 22, 31)
    assert client().badges("Bruno Exemplo") == []
    assert client().badges("No Such User") is None  # not a 200: nothing may be concluded


def test_badges_items_missing_fields_are_skipped_with_a_log_line(mocked_http, caplog):
    add_recorded(mocked_http, "letsconnect-user-badges", "item-missing-fields")
    [badge] = client().badges("Carla Exemplo")
    assert badge.name == "Let's Connect Learner" and badge.image_url is None
    assert sum("skipped" in r.getMessage() for r in caplog.records) == 2


@pytest.mark.allow_network_errors
@pytest.mark.parametrize("sample, code", [("not-a-list", "badjson"), ("server-error", "http-503")])
def test_badges_malformed_and_down(mocked_http, sample, code):
    add_recorded(mocked_http, "letsconnect-user-badges", sample)
    with pytest.raises(LetsConnectError) as info:
        client().badges("Ana Exemplo")
    assert info.value.code == code


@pytest.mark.allow_network_errors
def test_badges_timeout(mocked_http):
    mocked_http.add("GET", f"{BASE}/user-badges/", body=requests.exceptions.ConnectTimeout("slow"))
    with pytest.raises(LetsConnectError) as info:
        client().badges("Ana Exemplo")
    assert info.value.code == "timeout"


@pytest.mark.parametrize("value, expected", [
    ("2025-03-14T10:22:31Z", dt.datetime(2025, 3, 14, 10, 22, 31)),
    ("2024-11-03T15:42:07.318254Z", dt.datetime(2024, 11, 3, 15, 42, 7, 318254)),
    ("2025-03-14T12:22:31+02:00", dt.datetime(2025, 3, 14, 10, 22, 31)),
    (1700000000, dt.datetime(2023, 11, 14, 22, 13, 20)),
    ("yesterday", None), ("", None), (None, None), (True, None)])
def test_timestamps(value, expected):
    assert parse_timestamp(value) == expected


def test_every_registration_option_has_its_label():
    from capx.forms import lets_connect as labels
    from capx.models import LETS_CONNECT_AGE_RANGES, LETS_CONNECT_GENDERS, LETS_CONNECT_ROLES, LETS_CONNECT_TOPICS

    assert tuple(labels.ROLE_LABELS) == LETS_CONNECT_ROLES and tuple(labels.TOPIC_LABELS) == LETS_CONNECT_TOPICS
    assert tuple(labels.GENDER_LABELS) == LETS_CONNECT_GENDERS and tuple(labels.AGE_LABELS) == LETS_CONNECT_AGE_RANGES
