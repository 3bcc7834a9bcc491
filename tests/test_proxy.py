"""Behind reverse proxies (CAPX_PROXY_HOPS): the visitor's scheme, and address only where a trusted
proxy forwards it; per-visitor rate limits count per real visitor, never per proxy.

Toolforge's layout, which production assumes by default: the front proxy sets X-Forwarded-Proto
(and -Host, -Port) but does not pass visitors' addresses to tools; the Kubernetes ingress passes
the headers on. So the app trusts one hop for the scheme and no X-Forwarded-For at all.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import responses
from flask import Flask, jsonify, request, url_for

from capx import create_app
from capx.config import ConfigError, load_settings, proxy_fix_options
from capx.support.ratelimit import client_key
from tests.conftest import CapxClient
from tests.conftest import test_config as build_test_config

PROXY = "192.168.7.20"  # the ingress controller, as the app's WSGI server sees it


def proxied_app(database_urls: tuple[str, str], **config: Any) -> Flask:
    """A fresh app with the given proxy settings and a route that shows what the app believes."""
    new_app = create_app(build_test_config(*database_urls, **config))

    @new_app.get("/_test/whoami")
    def whoami() -> Any:
        return jsonify(addr=request.remote_addr, scheme=request.scheme, secure=request.is_secure,
                       callback=url_for("auth.oauth_callback", _external=True))

    new_app.test_client_class = CapxClient
    return new_app


def whoami(flask_app: Flask, remote: str = PROXY, **headers: str) -> dict[str, Any]:
    response = flask_app.test_client().get("/_test/whoami", headers=headers, environ_base={"REMOTE_ADDR": remote})
    assert response.status_code == 200
    return response.get_json()


# -- settings ----------------------------------------------------------------------------------------

def test_proxy_settings_default_to_direct_in_development_and_toolforge_in_production(tmp_path: Path) -> None:
    dev = load_settings({}, tmp_path, home=tmp_path)
    assert (dev.proxy_hops, dev.proxy_forwarded_for) == (0, False)
    prod = load_settings({"CAPX_ENV": "production"}, tmp_path, home=tmp_path)
    assert (prod.proxy_hops, prod.proxy_forwarded_for) == (1, False)
    assert prod.flask_config()["CAPX_PROXY_HOPS"] == 1
    custom = load_settings({"CAPX_PROXY_HOPS": "2", "CAPX_PROXY_FORWARDED_FOR": "1"}, tmp_path, home=tmp_path)
    assert (custom.proxy_hops, custom.proxy_forwarded_for) == (2, True)
    assert proxy_fix_options(0, False) is None
    assert proxy_fix_options(1, False) == {"x_for": 0, "x_proto": 1, "x_host": 0, "x_port": 0, "x_prefix": 0}
    assert proxy_fix_options(2, True) == {"x_for": 2, "x_proto": 2, "x_host": 0, "x_port": 0, "x_prefix": 0}


@pytest.mark.parametrize("env, message", [
    ({"CAPX_PROXY_HOPS": "-1"}, "between 0 and 5"),
    ({"CAPX_PROXY_HOPS": "9"}, "between 0 and 5"),
    ({"CAPX_PROXY_HOPS": "one"}, "must be an integer"),
    ({"CAPX_PROXY_FORWARDED_FOR": "1"}, "needs CAPX_PROXY_HOPS"),
])
def test_impossible_proxy_settings_are_refused(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env, tmp_path, home=tmp_path)


def test_client_key_uses_the_session_only_where_addresses_are_hidden() -> None:
    assert client_key("203.0.113.7", "token", addresses_known=True) == "addr:203.0.113.7"
    hidden_a = client_key(PROXY, "token-a", addresses_known=False)
    hidden_b = client_key(PROXY, "token-b", addresses_known=False)
    assert hidden_a.startswith("session:") and hidden_a != hidden_b and "token-a" not in hidden_a
    assert client_key(PROXY, None, addresses_known=False) == f"addr:{PROXY}"


# -- what the app believes ---------------------------------------------------------------------------

def test_direct_connection_ignores_forwarded_headers(app: Flask, database_urls: tuple[str, str]) -> None:
    """Without a proxy (development), X-Forwarded-* come from the visitor and change nothing."""
    direct = proxied_app(database_urls)
    seen = whoami(direct, "198.51.100.4", **{"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert seen["addr"] == "198.51.100.4" and seen["scheme"] == "http" and not seen["secure"]
    assert direct.config["CAPX_CLIENT_ADDRESSES"] is True


def test_toolforge_layout_takes_the_scheme_but_no_address(app: Flask, database_urls: tuple[str, str]) -> None:
    toolforge = proxied_app(database_urls, CAPX_PROXY_HOPS=1)
    seen = whoami(toolforge, **{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "capx.test",
                                "X-Forwarded-For": "203.0.113.7"})
    assert seen["scheme"] == "https" and seen["secure"]
    # The OAuth callback registered on Meta-Wiki is an https URL: the one sent must match it.
    assert seen["callback"] == "https://capx.test/oauth/callback"
    # Toolforge's front proxy does not forward visitors' addresses: this one was written by the visitor.
    assert seen["addr"] == PROXY
    assert toolforge.config["CAPX_CLIENT_ADDRESSES"] is False
    # Cookies the app sets itself are Secure once the scheme is known to be https; and, as on any
    # https site, Flask-WTF then also wants a same-site Referer on POSTs (browsers send one).
    client = toolforge.test_client()
    post = {"data": {"uselang": "pt-br", "next": "/"}, "environ_base": {"REMOTE_ADDR": PROXY}}
    response = client.post("/language", headers={"X-Forwarded-Proto": "https", "Referer": "https://capx.test/"}, **post)
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]
    assert client.post("/language", headers={"X-Forwarded-Proto": "https", "Referer": "https://evil.example/"},
                       **post).status_code == 400


def test_forged_forwarded_for_entries_cannot_change_the_address(app: Flask, database_urls: tuple[str, str]) -> None:
    """A proxy that appends the visitor's address: only the entries the trusted hops wrote count."""
    one_hop = proxied_app(database_urls, CAPX_PROXY_HOPS=1, CAPX_PROXY_FORWARDED_FOR=True)
    assert whoami(one_hop, "10.0.0.2", **{"X-Forwarded-For": "203.0.113.7"})["addr"] == "203.0.113.7"
    for forged in ("198.51.100.66", "127.0.0.1", "10.0.0.2, 198.51.100.66", "unknown"):
        seen = whoami(one_hop, "10.0.0.2", **{"X-Forwarded-For": f"{forged}, 203.0.113.7",
                                              "X-Forwarded-Proto": "http, https"})
        assert seen["addr"] == "203.0.113.7", forged
        assert seen["scheme"] == "https"  # the value the proxy appended, not the visitor's

    two_hops = proxied_app(database_urls, CAPX_PROXY_HOPS=2, CAPX_PROXY_FORWARDED_FOR=True)
    seen = whoami(two_hops, "10.0.0.3", **{"X-Forwarded-For": "198.51.100.66, 203.0.113.7, 10.0.0.2"})
    assert seen["addr"] == "203.0.113.7"
    # Fewer entries than trusted hops: nothing is believed, the peer address stays.
    assert whoami(two_hops, "10.0.0.3", **{"X-Forwarded-For": "203.0.113.7"})["addr"] == "10.0.0.3"


# -- rate limits per real visitor --------------------------------------------------------------------

def _meta_wiki_down(mocked_http: responses.RequestsMock) -> None:
    mocked_http.add(responses.POST, re.compile(r"https://meta\.wikimedia\.org/.*"), status=503, body="down")


def _start_login(client: Any, remote: str, forwarded_for: str) -> int:
    return client.post("/login", data={"next": "/home"}, headers={"X-Forwarded-For": forwarded_for},
                       environ_base={"REMOTE_ADDR": remote}).status_code


@pytest.mark.allow_network_errors
def test_login_limit_counts_per_real_visitor_behind_forwarding_proxies(
        app: Flask, database_urls: tuple[str, str], mocked_http: responses.RequestsMock) -> None:
    _meta_wiki_down(mocked_http)
    proxied = proxied_app(database_urls, CAPX_PROXY_HOPS=1, CAPX_PROXY_FORWARDED_FOR=True)
    visitor_a, visitor_b = proxied.test_client(), proxied.test_client()
    # A forges a new first entry on every request: still one visitor.
    codes = [_start_login(visitor_a, "10.0.0.2", f"198.51.100.{i}, 203.0.113.7") for i in range(12)]
    assert codes[:10] == [502] * 10 and codes[10:] == [429, 429]
    # B, behind the same proxy, is not lumped in with A.
    assert _start_login(visitor_b, "10.0.0.2", "203.0.113.8") == 502


@pytest.mark.allow_network_errors
def test_login_limit_counts_per_session_behind_toolforge_proxy(
        app: Flask, database_urls: tuple[str, str], mocked_http: responses.RequestsMock) -> None:
    """Every visitor arrives from the proxy's address: counting per address would let one visitor
    lock everyone out of logging in, so the limit counts per browser session."""
    _meta_wiki_down(mocked_http)
    toolforge = proxied_app(database_urls, CAPX_PROXY_HOPS=1)
    visitor_a, visitor_b = toolforge.test_client(), toolforge.test_client()
    codes = [_start_login(visitor_a, PROXY, f"198.51.100.{i}") for i in range(12)]
    assert codes[:10] == [502] * 10 and codes[10:] == [429, 429]
    assert _start_login(visitor_b, PROXY, "198.51.100.1") == 502
    assert len(mocked_http.calls) == 11
