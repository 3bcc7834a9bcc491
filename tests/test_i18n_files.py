"""The message files: every key used exists and is documented, files are tidy, translations fit.

Keys written literally in code and templates are found by scanning ``msg('…')``, ``msg_text('…')``,
``lazy_msg('…')`` and the menu's ``NavItem(…, 'key', …)``. Keys built at run time (``'theme-' ~
option``, f-strings) are covered by the families below and, everywhere else, by the strict mode of
the tests (``CAPX_STRICT_MESSAGES``), which turns a missing key into an error when a page renders.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
I18N = ROOT / "capx" / "i18n"
CALL_RE = re.compile(r"""\b(?:msg|msg_text|lazy_msg|LazyMessage)\(\s*(['"])([A-Za-z0-9_.-]+)\1\s*[,)]""")
NAV_RE = re.compile(r"""NavItem\(\s*(['"])[^'"]+\1\s*,\s*(['"])([A-Za-z0-9_.-]+)\2""")
PARAM_RE = re.compile(r"\$(\d+)")


def load(code: str) -> dict[str, str]:
    data = json.loads((I18N / f"{code}.json").read_text(encoding="utf-8"))
    data.pop("@metadata")
    return data


def sources() -> list[Path]:
    files = [p for p in (ROOT / "capx").rglob("*.py")] + [p for p in (ROOT / "capx" / "templates").rglob("*.html")]
    return sorted(p for p in files if "__pycache__" not in p.parts)


def used_keys() -> dict[str, set[str]]:
    """Each literal message key used, with the files that use it."""
    found: dict[str, set[str]] = {}
    for path in sources():
        text = path.read_text(encoding="utf-8")
        keys = [m.group(2) for m in CALL_RE.finditer(text)] + [m.group(3) for m in NAV_RE.finditer(text)]
        for key in keys:
            found.setdefault(key, set()).add(str(path.relative_to(ROOT)))
    return found


def test_the_scanner_finds_keys() -> None:
    keys = used_keys()
    # One of each way of using a key, so that a broken scanner cannot pass silently.
    for key in ("site-name", "skip-to-content", "login-dev-username", "nav-home", "error-csrf-title"):
        assert key in keys, key
    assert "theme-" not in keys and "region-" not in keys


@pytest.mark.parametrize("code", ["en", "qqq"])
def test_used_keys_exist(code: str) -> None:
    messages = load(code)
    missing = {key: sorted(files) for key, files in used_keys().items() if key not in messages}
    assert not missing, f"keys used but missing from {code}.json: {missing}"


def test_dynamic_key_families_exist() -> None:
    from capx.models.base import CAPACITY_KINDS
    from capx.models.people import PROFICIENCY_LEVELS
    from capx.web import THEMES

    data = json.loads((ROOT / "capx" / "data" / "territories.json").read_text(encoding="utf-8"))
    orgs = json.loads((ROOT / "capx" / "data" / "organizations.json").read_text(encoding="utf-8"))
    en = load("en")
    expected = (
        [f"theme-{t}" for t in THEMES]
        + [f"login-failed-{r}" for r in ("expired", "oauth", "unreachable")]
        + [f"login-refused-{r}" for r in ("blocked", "locked")]
        + [f"region-{r['code'].lower()}" for r in data["regions"]]
        + [f"proficiency-{p}" for p in PROFICIENCY_LEVELS]
        + [f"organization-type-{t['code'].lower()}" for t in orgs["types"]]
        + [f"capacity-kind-{k}" for k in CAPACITY_KINDS]
        + [f"home-missing-{g}" for g in ("territory", "languages", "known-capacities")]
    )
    assert [key for key in expected if key not in en] == []


def test_en_and_qqq_have_the_same_keys() -> None:
    en, qqq = set(load("en")), set(load("qqq"))
    assert sorted(en - qqq) == [], "documented nowhere in qqq.json"
    assert sorted(qqq - en) == [], "documented in qqq.json but not in en.json"


def test_every_key_is_documented() -> None:
    assert [key for key, doc in load("qqq").items() if not doc.strip()] == []


def test_files_are_normalized() -> None:
    result = subprocess.run([sys.executable, "scripts/i18n_tool.py", "--check"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def translation_codes() -> list[str]:
    return sorted(p.stem for p in I18N.glob("*.json") if p.stem not in ("en", "qqq"))


@pytest.mark.parametrize("code", translation_codes())
def test_translations_only_have_known_keys(code: str) -> None:
    assert sorted(set(load(code)) - set(load("en"))) == []


@pytest.mark.parametrize("code", translation_codes())
def test_translations_keep_the_parameters(code: str) -> None:
    """A translation may drop a parameter (e.g. a number spelled out), never invent one."""
    en = load("en")
    wrong = {key: text for key, text in load(code).items()
             if not set(PARAM_RE.findall(text)) <= set(PARAM_RE.findall(en[key]))}
    assert wrong == {}


@pytest.mark.parametrize("code", translation_codes())
def test_translations_keep_links_and_magic_words(code: str) -> None:
    en = load("en")
    bad = []
    for key, text in load(code).items():
        for pattern in (r"\[(?:https?://|/|\$\d)", r"\{\{PLURAL:", r"\{\{GENDER:"):
            if bool(re.search(pattern, en[key])) != bool(re.search(pattern, text)):
                bad.append((key, pattern))
        if text.count("{{") != text.count("}}") or text.count("[") != text.count("]"):
            bad.append((key, "unbalanced"))
    assert bad == []


def test_brazilian_portuguese_is_complete() -> None:
    pt = load("pt-br")
    missing = sorted(key for key in load("en") if not pt.get(key, "").strip())
    assert missing == [], f"pt-br.json lacks {len(missing)} keys: {missing[:20]}"


def test_arabic_covers_the_interface_chrome() -> None:
    ar = load("ar")
    en = load("en")
    prefixes = ("nav-", "footer-", "landing-", "login-", "error-", "site-", "skip-", "theme-", "language-",
                "dev-login-")
    chrome = [key for key in en if key.startswith(prefixes)]
    assert chrome and [key for key in chrome if key not in ar] == []


def test_metadata() -> None:
    for path in I18N.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(data.get("@metadata"), dict), path.name
        assert all(isinstance(v, str) for k, v in data.items() if k != "@metadata"), path.name
