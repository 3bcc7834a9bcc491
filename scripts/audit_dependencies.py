"""``make audit``: pip-audit over every pinned requirement, and honest about what it could check.

pip-audit prints "No known vulnerabilities found" and exits 0 even when it could not look up a
single package: when PyPI's JSON API answers 404 for every pinned version (as it does through a
package mirror that serves only the package index), each dependency is merely *skipped*. This
wrapper reads pip-audit's JSON report and says which of these happened:

- **audited**: the vulnerability service answered for every dependency. Exit 1 when one has a
  known vulnerability that is not in :data:`IGNORED`, else 0.
- **partly audited**: it answered for some. The skipped ones are listed under a warning;
  vulnerabilities in the others still fail the run.
- **not audited**: no service answered (no network, a blocked host, a mirror without the JSON
  API). A ``NOT AUDITED`` block names each service and why, and the run exits 0 so that CI on a
  machine without internet access does not fail for that reason, unless ``--require-service``
  (or ``CAPX_AUDIT_REQUIRED=1``) makes it exit 2.

pip-audit failing for any other reason (a requirements file it cannot read, pip-audit missing)
exits 3: that is a broken audit, not a network problem.

The services are tried in order (PyPI's JSON API, then OSV); the first that answers for at least
one dependency gives the result. Nothing is installed: the requirements files pin every package,
so pip-audit runs with ``--no-deps --disable-pip``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess  # nosec B404 # runs pip-audit with fixed arguments
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt", "requirements-load.txt")
SERVICES = ("pypi", "osv")

#: Known vulnerabilities that do not apply to CapX: id -> the reason (printed on every run, and
#: recorded in docs/security.md). Empty: no finding needed an exception so far.
IGNORED: dict[str, str] = {}

#: Seconds before one pip-audit run (one service) is given up as unreachable.
RUN_TIMEOUT = 240
#: Per-request timeout handed to pip-audit.
REQUEST_TIMEOUT = 10

EXIT_CLEAN, EXIT_VULNERABLE, EXIT_NOT_AUDITED, EXIT_BROKEN = 0, 1, 2, 3

#: Signs in pip-audit's error output that the vulnerability service could not be reached.
NETWORK_SIGNS = ("ConnectionError", "network may be blocking", "NameResolutionError", "Max retries exceeded",
                 "Timeout", "timed out", "HTTPError", "ServiceError", "SSLError", "Connection refused")


@dataclass(frozen=True)
class RawRun:
    """What one pip-audit run left: its JSON report (None when it wrote none) and its error text."""

    report: dict | None
    stderr: str = ""
    timed_out: bool = False


@dataclass
class Outcome:
    """One service's result, interpreted."""

    service: str
    audited: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    vulnerable: dict[str, list[dict]] = field(default_factory=dict)
    unreachable: str | None = None
    broken: str | None = None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:400] if lines else "(no output)"


def interpret(service: str, run: RawRun) -> Outcome:
    """Turn a pip-audit run into an :class:`Outcome` (pure: tests feed it recorded runs)."""
    outcome = Outcome(service)
    if run.timed_out:
        outcome.unreachable = f"no answer within {RUN_TIMEOUT} s"
        return outcome
    if run.report is None:
        reason = _last_line(run.stderr)
        if any(sign in run.stderr for sign in NETWORK_SIGNS):
            outcome.unreachable = reason
        else:
            outcome.broken = reason
        return outcome
    for dep in run.report.get("dependencies", []):
        name = f"{dep.get('name')} {dep.get('version', '')}".strip()
        if "skip_reason" in dep:
            outcome.skipped[name] = dep["skip_reason"]
            continue
        outcome.audited.append(name)
        vulns = [v for v in dep.get("vulns", []) if v.get("id") not in IGNORED
                 and not set(v.get("aliases", [])) & set(IGNORED)]
        if vulns:
            outcome.vulnerable[name] = vulns
    if not outcome.audited and outcome.skipped:
        reasons = sorted(set(outcome.skipped.values()))
        outcome.unreachable = (f"every one of the {len(outcome.skipped)} dependencies was skipped, e.g. "
                               f"{reasons[0]!r}")
        if all(reason.startswith("Dependency not found on PyPI") for reason in reasons):
            outcome.unreachable += (" (PyPI's JSON API answered 404 for every pinned release: the package "
                                    "index reachable from here does not serve that API)")
    return outcome


def run_pip_audit(service: str, requirements: Sequence[Path]) -> RawRun:
    """Run pip-audit once against ``service`` (JSON report in a temporary file)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "pip_audit", "--vulnerability-service", service, "--format", "json",
               "--output", str(out), "--progress-spinner", "off", "--no-deps", "--disable-pip",
               "--timeout", str(REQUEST_TIMEOUT)]
        for path in requirements:
            cmd += ["--requirement", str(path)]
        for vuln_id in IGNORED:
            cmd += ["--ignore-vuln", vuln_id]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT,  # nosec B603
                                  check=False)
        except subprocess.TimeoutExpired:
            return RawRun(None, timed_out=True)
        report = None
        if out.is_file() and out.stat().st_size:
            try:
                report = json.loads(out.read_text(encoding="utf-8"))
            except ValueError:
                report = None
        return RawRun(report, proc.stderr)


def audit(runner: Callable[[str], RawRun], services: Sequence[str] = SERVICES,
          require_service: bool = False, echo: Callable[[str], None] = print) -> int:
    """Try the services in order and report; returns the exit code."""
    outcomes: list[Outcome] = []
    for service in services:
        outcome = interpret(service, runner(service))
        outcomes.append(outcome)
        if outcome.broken:
            echo(f"pip-audit FAILED ({service}): {outcome.broken}")
            echo("This is not a network problem: the audit itself is broken (see the error above).")
            return EXIT_BROKEN
        if outcome.audited:
            break
    for vuln_id, reason in IGNORED.items():
        echo(f"pip-audit: ignoring {vuln_id}: {reason}")
    final = outcomes[-1]
    if not final.audited:
        echo("")
        echo("!" * 78)
        echo("pip-audit: dependencies NOT AUDITED: no vulnerability service could be reached.")
        for outcome in outcomes:
            echo(f"  {outcome.service}: {outcome.unreachable}")
        echo("This is NOT a clean result: the pinned packages were not checked for known")
        echo("vulnerabilities. Run `make audit` on a machine with internet access (docs/security.md).")
        echo("!" * 78)
        return EXIT_NOT_AUDITED if require_service else EXIT_CLEAN
    if final.skipped:
        echo(f"pip-audit WARNING ({final.service}): {len(final.skipped)} dependencies could not be audited:")
        for name, reason in sorted(final.skipped.items()):
            echo(f"  {name}: {reason}")
    if final.vulnerable:
        count = sum(len(v) for v in final.vulnerable.values())
        echo(f"pip-audit ({final.service}): {count} known vulnerabilities in {len(final.vulnerable)} packages:")
        for name, vulns in sorted(final.vulnerable.items()):
            for vuln in vulns:
                fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
                aliases = ", ".join(vuln.get("aliases") or [])
                echo(f"  {name}: {vuln.get('id')}{f' ({aliases})' if aliases else ''}; fixed in: {fixes}")
        echo("Raise the pins in requirements*.txt, or record why a finding does not apply in IGNORED "
             "(scripts/audit_dependencies.py) and docs/security.md.")
        return EXIT_VULNERABLE
    echo(f"pip-audit ({final.service}): {len(final.audited)} pinned dependencies audited, "
         "no known vulnerabilities.")
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--require-service", action="store_true",
                        default=os.environ.get("CAPX_AUDIT_REQUIRED", "").strip().lower() in {"1", "true", "yes", "on"},
                        help="exit 2 when no vulnerability service can be reached (default: warn and exit 0)")
    parser.add_argument("--service", action="append", choices=SERVICES,
                        help="vulnerability service to try (repeatable; default: pypi, then osv)")
    args = parser.parse_args(argv)
    try:
        import pip_audit  # noqa: F401 - only checks that it is installed
    except ImportError:
        print("pip-audit is not installed: run `make install` (it is pinned in requirements-dev.txt).")
        return EXIT_BROKEN
    requirements = [ROOT / name for name in REQUIREMENTS]
    return audit(lambda service: run_pip_audit(service, requirements), services=args.service or SERVICES,
                 require_service=args.require_service)


if __name__ == "__main__":
    sys.exit(main())
