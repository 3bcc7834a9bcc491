"""How much a PyMySQL connection costs, with and without a TLS context (figures in README.md).

Usage: python scripts/bench_connect.py [--host 127.0.0.1] [--user root] [--password ''] [-n 100]

Cases (each: connect, SELECT 1, close):
* ssl_disabled=True: what CapX does (capx.config.engine_options), no TLS context at all;
* PyMySQL's default: since PyMySQL 1.2 "preferred" TLS builds a new SSLContext, loading the
  system CA bundle, for EVERY connection, even when the server then offers no TLS;
* shared context: one prebuilt SSLContext passed to every connection (CAPX_DATABASE_TLS=1),
  only when the server offers TLS.
"""

from __future__ import annotations

import argparse
import ssl
import statistics
import time
from typing import Any, Callable

import pymysql
from importlib.metadata import version


def measure(label: str, connect: Callable[[], Any], count: int) -> float:
    times = []
    tls = False
    for _ in range(count):
        start = time.perf_counter()
        conn = connect()
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
        times.append((time.perf_counter() - start) * 1000)
        tls = isinstance(conn._sock, ssl.SSLSocket)  # noqa: SLF001 - only to report what happened
        conn.close()
    times.sort()
    median = statistics.median(times)
    print(f"{label:<34} median {median:7.2f} ms   p90 {times[int(len(times) * 0.9)]:7.2f} ms"
          f"   TLS negotiated: {'yes' if tls else 'no'}")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3306)
    parser.add_argument("--user", default="root")
    parser.add_argument("--password", default="")
    parser.add_argument("-n", "--count", type=int, default=100)
    args = parser.parse_args()
    common = {"host": args.host, "port": args.port, "user": args.user, "password": args.password,
              "charset": "utf8mb4", "connect_timeout": 5}

    print(f"PyMySQL {version('PyMySQL')}, {args.count} connections to {args.host}:{args.port}")
    measure("ssl_disabled=True (CapX)", lambda: pymysql.connect(**common, ssl_disabled=True), args.count)
    measure("PyMySQL default (context each)", lambda: pymysql.connect(**common), args.count)
    probe = pymysql.connect(**common, ssl_disabled=True)
    with probe.cursor() as cursor:
        cursor.execute("SHOW VARIABLES LIKE 'have_ssl'")
        row = cursor.fetchone()
    probe.close()
    if row and row[1] == "YES":
        shared = ssl.create_default_context()
        shared.check_hostname = False
        shared.verify_mode = ssl.CERT_NONE
        measure("one shared SSLContext (TLS)", lambda: pymysql.connect(**common, ssl=shared), args.count)
    else:
        print("(the server offers no TLS: have_ssl is not YES, so no TLS handshake was measured)")
    start = time.perf_counter()
    for _ in range(20):
        ssl.create_default_context()
    print(f"building one SSLContext alone: {(time.perf_counter() - start) * 1000 / 20:.2f} ms")


if __name__ == "__main__":
    main()
