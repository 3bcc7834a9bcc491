"""scripts/audit_dependencies.py: a skipped or unreachable audit is never reported as clean.

pip-audit itself is never run here (no network in tests): the runner is replaced by recorded
results in pip-audit's JSON format.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "audit_dependencies.py"


def load_script() -> ModuleType:
    """Import scripts/audit_dependencies.py (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


audit_script = load_script()
RawRun = audit_script.RawRun

CLEAN = {"dependencies": [{"name": "flask", "version": "3.1.3", "vulns": []},
                          {"name": "jinja2", "version": "3.1.6", "vulns": []}], "fixes": []}
VULNERABLE = {"dependencies": [
    {"name": "flask", "version": "3.1.3", "vulns": []},
    {"name": "jinja2", "version": "2.10", "vulns": [
        {"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"], "aliases": ["CVE-2019-10906"], "description": "..."}]},
], "fixes": []}
ALL_SKIPPED = {"dependencies": [
    {"name": "flask", "skip_reason": "Dependency not found on PyPI and could not be audited: flask (3.1.3)"},
    {"name": "jinja2", "skip_reason": "Dependency not found on PyPI and could not be audited: jinja2 (3.1.6)"},
], "fixes": []}
SOME_SKIPPED = {"dependencies": [
    {"name": "flask", "version": "3.1.3", "vulns": []},
    {"name": "private-thing", "skip_reason": "Dependency not found on PyPI and could not be audited: private-thing (1.0)"},
], "fixes": []}
OSV_DOWN = RawRun(None, "Traceback ...\nrequests.exceptions.ConnectionError: HTTPSConnectionPool(host='osv', "
                        "port=443): Max retries exceeded (Caused by NameResolutionError(...))")


def run_audit(results: dict[str, RawRun], **kwargs) -> tuple[int, str, list[str]]:
    """Run :func:`audit` with recorded pip-audit runs; returns (exit code, output, services asked)."""
    lines: list[str] = []
    asked: list[str] = []

    def runner(service: str) -> RawRun:
        asked.append(service)
        return results[service]

    code = audit_script.audit(runner, echo=lines.append, **kwargs)
    return code, "\n".join(lines), asked


def test_clean_audit_passes_and_says_how_many_were_checked() -> None:
    code, output, asked = run_audit({"pypi": RawRun(CLEAN)})
    assert code == 0
    assert asked == ["pypi"]
    assert "2 pinned dependencies audited, no known vulnerabilities" in output
    assert "NOT AUDITED" not in output


def test_a_known_vulnerability_fails_with_its_id_and_fix() -> None:
    code, output, _ = run_audit({"pypi": RawRun(VULNERABLE)})
    assert code == 1
    assert "jinja2 2.10: PYSEC-2019-217 (CVE-2019-10906); fixed in: 2.10.1" in output


def test_ignored_vulnerability_is_printed_with_its_reason_and_does_not_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_script, "IGNORED", {"CVE-2019-10906": "CapX never renders untrusted templates"})
    code, output, _ = run_audit({"pypi": RawRun(VULNERABLE)})
    assert code == 0
    assert "ignoring CVE-2019-10906: CapX never renders untrusted templates" in output


def test_every_dependency_skipped_is_not_clean_and_osv_is_tried() -> None:
    """pip-audit alone exits 0 here ("No known vulnerabilities found"); the wrapper must not."""
    code, output, asked = run_audit({"pypi": RawRun(ALL_SKIPPED), "osv": OSV_DOWN})
    assert asked == ["pypi", "osv"]
    assert code == 0, "no network is not a CI failure"
    assert "NOT AUDITED" in output and "NOT a clean result" in output
    assert "no known vulnerabilities" not in output
    assert re.search(r"pypi: every one of the 2 dependencies was skipped.*JSON API answered 404", output)
    assert "osv: requests.exceptions.ConnectionError" in output


def test_unreachable_fails_when_a_service_is_required() -> None:
    code, output, _ = run_audit({"pypi": RawRun(ALL_SKIPPED), "osv": OSV_DOWN}, require_service=True)
    assert code == 2
    assert "NOT AUDITED" in output


def test_second_service_answers_when_the_first_cannot() -> None:
    code, output, asked = run_audit({"pypi": RawRun(ALL_SKIPPED), "osv": RawRun(VULNERABLE)})
    assert asked == ["pypi", "osv"]
    assert code == 1
    assert "pip-audit (osv)" in output


def test_partial_skips_are_listed_and_vulnerabilities_still_fail() -> None:
    code, output, asked = run_audit({"pypi": RawRun(SOME_SKIPPED)})
    assert asked == ["pypi"]
    assert code == 0
    assert "1 dependencies could not be audited" in output and "private-thing" in output
    report = {"dependencies": SOME_SKIPPED["dependencies"] + VULNERABLE["dependencies"][1:]}
    code, _, _ = run_audit({"pypi": RawRun(report)})
    assert code == 1


def test_a_timeout_counts_as_unreachable() -> None:
    code, output, _ = run_audit({"pypi": RawRun(None, timed_out=True), "osv": RawRun(None, timed_out=True)})
    assert code == 0
    assert "no answer within" in output and "NOT AUDITED" in output


def test_a_broken_audit_is_not_mistaken_for_no_network() -> None:
    broken = RawRun(None, "ERROR:pip_audit._cli:invalid requirements input: requirements.txt")
    code, output, asked = run_audit({"pypi": broken, "osv": RawRun(CLEAN)})
    assert code == 3
    assert asked == ["pypi"]
    assert "not a network problem" in output


def test_every_requirements_file_is_audited_and_pip_audit_is_pinned() -> None:
    assert set(audit_script.REQUIREMENTS) == {p.name for p in ROOT.glob("requirements*.txt")}
    assert re.search(r"^pip-audit==\d", (ROOT / "requirements-dev.txt").read_text(encoding="utf-8"), re.M)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^audit: install\n\t\$\(BIN\)/python scripts/audit_dependencies\.py", makefile, re.M)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make audit" in ci and "make lint" in ci
