"""Build the reference data files that CapX ships.

CapX does not read the upstream capx-backend fixtures or the researcher's
derived files at runtime. Instead this script turns them, once, into small,
reviewed, deterministic JSON files under ``capx/data/`` (plus the capacity
icons under ``capx/static/img/capacity/``), which are committed to the repo.

Inputs (read-only, default ``/work/shared/data``; override with
``--input-dir`` or the ``CAPX_REFERENCE_INPUT_DIR`` environment variable):

* ``capacity-directory.json`` - the 134 capacities as a tree of 7 roots.
* ``codex-tokens.json`` - Wikimedia Codex design tokens (``palette`` section).
* ``capx-reference/`` - capx-backend fixtures and derived files, see its
  ``SOURCE.txt``: ``avatar.json``, ``initial_data.json``, ``orgs.json``,
  ``derived_wikimedia_regions_from_frontend.json``,
  ``derived_wikimedia_project_logos_from_migration_0015.json``.

Outputs (relative to the output root, the repo root by default):

* ``capx/data/capacities.json``, ``territories.json``, ``languages.json``,
  ``projects.json``, ``avatars.json``, ``organizations.json``
* ``capx/static/img/capacity/<icon>.svg`` - one icon per capacity root.

Language and country *names* are deliberately not stored for countries and
are taken from Babel's CLDR data for languages, so the output depends on the
installed Babel version (2.18.0 when this was written). Re-run the script
after upgrading Babel and review the diff.

Usage::

    .venv/bin/python scripts/build_reference_data.py [--input-dir DIR] [--output-root DIR]

The script fails loudly (``DataError``) when an input does not look the way
this code expects, rather than silently writing something different.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from babel import Locale, localedata
from babel.core import get_global

log = logging.getLogger("build_reference_data")

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INPUT_DIR = Path(
    os.environ.get("CAPX_REFERENCE_INPUT_DIR", "/work/shared/data")
)

DATA_DIR = Path("capx/data")
ICON_DIR = Path("capx/static/img/capacity")

# Names of the input files, relative to the input directory.
CAPACITY_DIRECTORY = "capacity-directory.json"
CODEX_TOKENS = "codex-tokens.json"
REFERENCE = "capx-reference"
AVATAR_FIXTURE = f"{REFERENCE}/avatar.json"
INITIAL_DATA_FIXTURE = f"{REFERENCE}/initial_data.json"
ORGS_FIXTURE = f"{REFERENCE}/orgs.json"
REGIONS_FILE = f"{REFERENCE}/derived_wikimedia_regions_from_frontend.json"
PROJECT_LOGOS_FILE = (
    f"{REFERENCE}/derived_wikimedia_project_logos_from_migration_0015.json"
)


class DataError(Exception):
    """An input file does not have the shape or content this script expects."""


# --------------------------------------------------------------------------
# Capacities
# --------------------------------------------------------------------------

# Colour of each capacity root: a Codex palette token (values are looked up in
# codex-tokens.json so they stay genuine Codex colours). The 700 shades are
# used because they are mid-tones with >= 4.5:1 contrast against white, so
# they pass WCAG AA even for normal-size text, not only the 3:1 needed for
# icons and large text. The hues are all different so roots stay
# distinguishable; the icon and name always accompany the colour, so colour
# is never the only cue.
ROOT_COLOR_TOKENS: dict[str, str] = {
    "organisational-skills": "color-blue700",
    "communication": "color-purple700",
    "learning-evaluation": "color-green700",
    "community-health": "color-red700",
    "social-skills": "color-pink700",
    "strategic-management-process": "color-orange700",
    "technical-skills": "color-gray600",
}

MIN_CONTRAST_WITH_WHITE = 3.0

# Icon shapes for each root, drawn on a 24x24 grid. Original, deliberately
# simple artwork: one <path> (holes via fill-rule="evenodd") or a few shapes,
# filled with currentColor so the icon takes the surrounding text colour.
# The icon slug is the root's code, so templates can find it without a map.
ROOT_ICON_SHAPES: dict[str, str] = {
    # Briefcase: handle with a cut-out above a rounded case.
    "organisational-skills": (
        '<path fill-rule="evenodd" d="M9 3h6a1 1 0 0 1 1 1v3h4a2 2 0 0 1 2 2v10'
        "a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V9a2 2 0 0 1 2-2h4V4a1 1 0 0 1 1-1Z"
        'M10 5v2h4V5h-4Z"/>'
    ),
    # Speech bubble with a tail and three dots cut out.
    "communication": (
        '<path fill-rule="evenodd" d="M5 3h14a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2h-8'
        "l-5 4v-4H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2Z"
        "M8 8.75a1.25 1.25 0 1 0 0 2.5 1.25 1.25 0 1 0 0-2.5Z"
        "M12 8.75a1.25 1.25 0 1 0 0 2.5 1.25 1.25 0 1 0 0-2.5Z"
        'M16 8.75a1.25 1.25 0 1 0 0 2.5 1.25 1.25 0 1 0 0-2.5Z"/>'
    ),
    # Rising bar chart on a baseline.
    "learning-evaluation": (
        '<path d="M3 20h18v2H3Z"/>'
        '<path d="M5 13h3.5v6H5Z"/>'
        '<path d="M10.25 8h3.5v11h-3.5Z"/>'
        '<path d="M15.5 3H19v16h-3.5Z"/>'
    ),
    # Heart: two r=5 arcs meeting at the top, tangent lines down to the point.
    "community-health": (
        '<path d="M12 20.5 3.98 12.55A5 5 0 1 1 12 6.82a5 5 0 1 1 8.02 5.73Z"/>'
    ),
    # Two people: one in front, one behind to the right.
    "social-skills": (
        '<circle cx="9" cy="7.5" r="3.5"/>'
        '<path d="M2 20c0-3.9 3.1-6 7-6s7 2.1 7 6v1H2Z"/>'
        '<circle cx="16.5" cy="6.5" r="3"/>'
        '<path d="M17 12.5c3.1 0 5 1.9 5 5V20h-4.5v-.5c0-2.3-.9-4.4-2.7-5.7'
        '.7-.9 1.3-1.3 2.2-1.3Z"/>'
    ),
    # Flag with a swallowtail on a pole.
    "strategic-management-process": (
        '<path d="M5 2h2v20H5Z"/><path d="M8 3h12l-3 4.5 3 4.5H8Z"/>'
    ),
    # Gear: 8 teeth (outer r=10.5, root r=8) with a round hole (r=3.5).
    "technical-skills": (
        '<path fill-rule="evenodd" d="M9.93 4.27L10.36 1.63A10.5 10.5 0 0 1 13.64 1.63'
        "L14.07 4.27A8 8 0 0 1 16 5.07L18.17 3.51A10.5 10.5 0 0 1 20.49 5.83"
        "L18.93 8A8 8 0 0 1 19.73 9.93L22.37 10.36A10.5 10.5 0 0 1 22.37 13.64"
        "L19.73 14.07A8 8 0 0 1 18.93 16L20.49 18.17A10.5 10.5 0 0 1 18.17 20.49"
        "L16 18.93A8 8 0 0 1 14.07 19.73L13.64 22.37A10.5 10.5 0 0 1 10.36 22.37"
        "L9.93 19.73A8 8 0 0 1 8 18.93L5.83 20.49A10.5 10.5 0 0 1 3.51 18.17"
        "L5.07 16A8 8 0 0 1 4.27 14.07L1.63 13.64A10.5 10.5 0 0 1 1.63 10.36"
        "L4.27 9.93A8 8 0 0 1 5.07 8L3.51 5.83A10.5 10.5 0 0 1 5.83 3.51"
        "L8 5.07A8 8 0 0 1 9.93 4.27Z"
        'M12 8.5a3.5 3.5 0 1 0 0 7 3.5 3.5 0 1 0 0-7Z"/>'
    ),
}


def normalize_hex(value: str) -> str:
    """Return a colour as lowercase 6-digit ``#rrggbb`` (Codex uses ``#36c`` too)."""
    match = re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", value.strip())
    if not match:
        raise DataError(f"not a hex colour: {value!r}")
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    return f"#{digits}"


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of an ``#rrggbb`` colour."""

    def channel(pair: str) -> float:
        c = int(pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    digits = normalize_hex(hex_colour)[1:]
    r, g, b = (channel(digits[i : i + 2]) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(hex_colour: str) -> float:
    """WCAG contrast ratio between a colour and white (1.0 .. 21.0)."""
    return 1.05 / (relative_luminance(hex_colour) + 0.05)


def _capacity_node(node: dict[str, Any], depth: int, seen: set[str]) -> dict[str, Any]:
    """Copy one capacity node (code, name, children), checking codes are unique."""
    code, name = node["code"], node["name"]
    if not code or not name:
        raise DataError(f"capacity without code or name: {node!r}")
    if code in seen:
        raise DataError(f"duplicate capacity code: {code}")
    seen.add(code)
    children = node.get("children") or []
    if children and depth >= 3:
        # The app's UI (and the Meta-Wiki directory) has three levels only.
        raise DataError(f"capacity {code} is deeper than 3 levels")
    # Leaves get an empty "children" list so every node has the same shape.
    return {
        "code": code,
        "name": name,
        "children": [_capacity_node(child, depth + 1, seen) for child in children],
    }


def build_capacities(
    directory: dict[str, Any], palette: dict[str, str]
) -> dict[str, Any]:
    """The capacity tree (same order as the directory) with root colour and icon."""
    roots_in = directory["roots"]
    codes = [root["code"] for root in roots_in]
    if set(codes) != set(ROOT_COLOR_TOKENS) or len(codes) != len(set(codes)):
        raise DataError(f"capacity roots {codes} do not match ROOT_COLOR_TOKENS")

    seen: set[str] = set()
    roots_out: list[dict[str, Any]] = []
    for root in roots_in:
        node = _capacity_node(root, 1, seen)
        colour = normalize_hex(palette[ROOT_COLOR_TOKENS[root["code"]]])
        if contrast_with_white(colour) < MIN_CONTRAST_WITH_WHITE:
            raise DataError(f"{root['code']}: {colour} contrasts < 3:1 with white")
        roots_out.append(
            {
                "code": node["code"],
                "name": node["name"],
                "color": colour,
                "icon": root["code"],
                "children": node["children"],
            }
        )

    colours = [root["color"] for root in roots_out]
    if len(set(colours)) != len(colours):
        raise DataError("capacity root colours are not distinct")
    if len(seen) != directory.get("count", len(seen)):
        raise DataError(
            f"directory says {directory['count']} capacities, found {len(seen)}"
        )
    return {"roots": roots_out}


def render_icon(shapes: str) -> str:
    """Wrap icon shapes in a minimal, static SVG document (no scripts or styles)."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" '
        f'viewBox="0 0 24 24" fill="currentColor">{shapes}</svg>\n'
    )


# --------------------------------------------------------------------------
# Territories (Wikimedia regions and their countries)
# --------------------------------------------------------------------------

# ISO alpha-3 codes that CLDR's alias table cannot map. XKX (Kosovo) is a
# user-assigned code (used by the EU, IMF, World Bank), not part of ISO 3166,
# so CLDR has no alias for it; CLDR's own code for Kosovo is XK.
ISO3_OVERRIDES: dict[str, str] = {"XKX": "XK"}

# ISO alpha-3 codes to leave out, with the reason. Empty: every code in the
# regions file currently maps to a territory with an English CLDR name.
ISO3_DROPPED: dict[str, str] = {}


def alpha3_to_alpha2_table() -> dict[str, str]:
    """ISO 3166 alpha-3 -> alpha-2, from CLDR's territory alias table.

    CLDR lists every ISO alpha-3 code as an "overlong" alias of its alpha-2
    code (e.g. AGO -> AO), and Babel ships that table, so no extra package
    (pycountry) is needed. Aliases of dissolved countries map to several
    codes (SUN, YUG, ...); those are ambiguous and left out.
    """
    aliases: dict[str, list[str]] = get_global("territory_aliases")
    table = {
        alias: targets[0]
        for alias, targets in aliases.items()
        if re.fullmatch(r"[A-Z]{3}", alias)
        and len(targets) == 1
        and re.fullmatch(r"[A-Z]{2}", targets[0])
    }
    table.update(ISO3_OVERRIDES)
    return table


def build_territories(regions_doc: dict[str, Any]) -> dict[str, Any]:
    """The 8 Wikimedia regions (file order) with countries' alpha-3 and alpha-2 codes."""
    to_alpha2 = alpha3_to_alpha2_table()
    english_territories = Locale("en").territories
    legacy_ids: dict[str, int] = {}
    for territory_id, region_code in regions_doc[
        "production_territory_id_to_region"
    ].items():
        if region_code in legacy_ids:
            raise DataError(f"region {region_code} has two production territory ids")
        legacy_ids[region_code] = int(territory_id)

    seen_countries: set[str] = set()
    regions: list[dict[str, Any]] = []
    for region in regions_doc["regions"]:
        code = region["id"]
        countries: list[dict[str, str]] = []
        for alpha3 in region["countries_iso3"]:
            if alpha3 in seen_countries:
                raise DataError(f"{alpha3} is listed in more than one region")
            seen_countries.add(alpha3)
            if alpha3 in ISO3_DROPPED:
                log.warning(
                    "territories: dropped %s (%s)", alpha3, ISO3_DROPPED[alpha3]
                )
                continue
            alpha2 = to_alpha2.get(alpha3)
            if alpha2 is None:
                raise DataError(
                    f"no ISO alpha-2 code for {alpha3}; add it to ISO3_OVERRIDES"
                )
            if alpha2 not in english_territories:
                raise DataError(
                    f"{alpha3}/{alpha2} has no English CLDR name; see ISO3_DROPPED"
                )
            countries.append({"code": alpha3, "iso2": alpha2})
        if code not in legacy_ids:
            raise DataError(f"region {code} has no production territory id")
        regions.append(
            {
                "code": code,
                "name": region["fullName"],
                "color": region["color"].upper(),
                "color_dark": region["colorDark"].upper(),
                "legacy_id": legacy_ids[code],
                # The frontend list is in no particular order; sort by code so
                # diffs stay readable. The UI sorts by localised name anyway.
                "countries": sorted(countries, key=lambda c: c["code"]),
            }
        )
    for entry in regions:
        for key in ("color", "color_dark"):
            normalize_hex(entry[key])  # validates
    if set(legacy_ids) != {region["code"] for region in regions}:
        raise DataError("production_territory_id_to_region names unknown regions")
    return {"regions": regions}


# --------------------------------------------------------------------------
# Languages
# --------------------------------------------------------------------------

# Regional/script variants that are real MediaWiki language codes (see
# MediaWiki's languages/data/Names.php) and have their own CLDR locale.
# MediaWiki code -> CLDR locale identifier. sr-ec/sr-el are MediaWiki's
# historic codes for Serbian in Cyrillic/Latin script (CLDR sr_Cyrl/sr_Latn).
VARIANT_LANGUAGES: dict[str, str] = {
    "de-at": "de_AT",
    "de-ch": "de_CH",
    "en-ca": "en_CA",
    "en-gb": "en_GB",
    "es-419": "es_419",
    "fr-ca": "fr_CA",
    "pt-br": "pt_BR",
    "sr-ec": "sr_Cyrl",
    "sr-el": "sr_Latn",
    "zh-hans": "zh_Hans",
    "zh-hant": "zh_Hant",
}


def _language_name(identifier: str, display: Locale) -> str | None:
    """Name of the CLDR locale ``identifier`` in the ``display`` locale.

    CLDR has dedicated names for some variants ("Brazilian Portuguese",
    "British English"); otherwise Babel composes "Language (Region)".
    Returns None when CLDR has no name for the base language.
    """
    return display.languages.get(identifier) or Locale.parse(
        identifier
    ).get_display_name(display)


def build_languages(initial_data: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Every language with an English CLDR name and its own CLDR locale, plus variants."""
    english = Locale("en")
    # Base languages: CLDR locales without a territory or script part.
    candidates: dict[str, str] = {
        identifier: identifier
        for identifier in localedata.locale_identifiers()
        if "_" not in identifier and identifier != "root"
    }
    candidates.update(VARIANT_LANGUAGES)

    languages: list[dict[str, str]] = []
    for code, identifier in candidates.items():
        own = Locale.parse(identifier)
        english_name = _language_name(identifier, english)
        autonym = _language_name(identifier, own)
        if not english_name or not autonym:
            # A few CLDR locales are incomplete (e.g. no English name yet for
            # the language, or no name for itself): not usable in a picker.
            log.warning(
                "languages: skipped %s (english name %r, autonym %r)",
                identifier,
                english_name,
                autonym,
            )
            continue
        languages.append(
            {
                "code": code.lower(),
                "english_name": english_name,
                "autonym": autonym,
                "dir": own.text_direction,  # "ltr" or "rtl", from CLDR character order
            }
        )
    languages.sort(key=lambda language: language["code"])

    codes = [language["code"] for language in languages]
    if len(codes) != len(set(codes)):
        raise DataError("duplicate language codes")
    by_code = {language["code"]: language for language in languages}
    for record in initial_data:
        if record["model"] != "users.language":
            continue
        code = record["fields"]["language_code"]
        if code not in by_code:
            raise DataError(f"backend language {code} is missing")
        if by_code[code]["english_name"] != record["fields"]["language_name"]:
            log.warning(
                "languages: %s is %r in CLDR but %r in the backend fixture",
                code,
                by_code[code]["english_name"],
                record["fields"]["language_name"],
            )
    return languages


# --------------------------------------------------------------------------
# Wikimedia projects
# --------------------------------------------------------------------------

# Projects that have a logo (migration 0015) but no row in initial_data.json.
EXTRA_PROJECTS: list[tuple[str, str]] = [("wikinews", "Wikinews")]


def build_projects(
    initial_data: list[dict[str, Any]], logos: dict[str, str]
) -> list[dict[str, str]]:
    """The backend's projects in primary-key order, then Wikinews, with logo URLs."""
    rows = sorted(
        (
            record
            for record in initial_data
            if record["model"] == "users.wikimediaproject"
        ),
        key=lambda record: record["pk"],
    )
    pairs = [
        (
            row["fields"]["wikimedia_project_code"],
            row["fields"]["wikimedia_project_name"],
        )
        for row in rows
    ]
    pairs += EXTRA_PROJECTS
    codes = [code for code, _ in pairs]
    if len(codes) != len(set(codes)):
        raise DataError("duplicate project codes")
    if set(codes) != set(logos):
        raise DataError(f"projects and logos differ: {sorted(set(codes) ^ set(logos))}")
    return [
        {"code": code, "name": name, "logo_url": logos[code]} for code, name in pairs
    ]


# --------------------------------------------------------------------------
# Avatars
# --------------------------------------------------------------------------

REDIRECT_PREFIX = "/wiki/Special:Redirect/file/"


def build_avatars(fixture: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Avatar positions (1-based, fixture order) and their Commons file names."""
    avatars: list[dict[str, Any]] = []
    for position, record in enumerate(fixture, start=1):
        url = urlparse(record["fields"]["avatar_url"])
        if url.netloc != "commons.wikimedia.org" or not url.path.startswith(
            REDIRECT_PREFIX
        ):
            raise DataError(f"unexpected avatar URL: {record['fields']['avatar_url']}")
        # Store the plain file name (not the URL) so the app decides how to
        # link it (Special:Redirect, thumbnails, ...).
        file_name = unquote(url.path[len(REDIRECT_PREFIX) :]).replace(" ", "_")
        avatars.append({"position": position, "file": file_name})
    files = [avatar["file"] for avatar in avatars]
    if len(files) != len(set(files)):
        raise DataError("duplicate avatar files")
    return avatars


# --------------------------------------------------------------------------
# Organizations
# --------------------------------------------------------------------------


def clean_org_name(name: str) -> str:
    """Fix a data-entry error in the fixture: apostrophes typed as ``"``.

    The fixture has ``Côte d"Ivoire``, ``Stakeholders" Group`` and
    ``WikiWomen"s``; no organization name legitimately contains a double quote.
    """
    return " ".join(name.replace('"', "'").split())


def build_organizations(fixture: list[dict[str, Any]]) -> dict[str, Any]:
    """Organization types (file order) and organizations, deduplicated."""
    types = [
        {"code": record["fields"]["type_code"], "name": record["fields"]["type_name"]}
        for record in fixture
        if record["model"] == "orgs.OrganizationType"
    ]
    type_order = {entry["code"]: index for index, entry in enumerate(types)}

    organizations: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    seen_acronyms: set[str] = set()
    for record in fixture:
        if record["model"] != "orgs.Organization":
            continue
        fields = record["fields"]
        acronym = fields["acronym"].strip()
        name = clean_org_name(fields["display_name"])
        if name != fields["display_name"]:
            log.warning("organizations: renamed %r -> %r", fields["display_name"], name)
        if not 1 <= fields["type"] <= len(types):
            raise DataError(f"organization {acronym} has unknown type {fields['type']}")
        if (acronym, name) in seen:
            log.warning("organizations: dropped duplicate %s %r", acronym, name)
            continue
        if acronym in seen_acronyms:
            log.warning("organizations: acronym %s is used twice", acronym)
        seen.add((acronym, name))
        seen_acronyms.add(acronym)
        # Fixture foreign keys are 1-based positions in the type list.
        type_code = types[fields["type"] - 1]["code"]
        organizations.append({"acronym": acronym, "name": name, "type": type_code})

    # The fixture order is append order; sort by type then acronym for
    # stable, readable diffs.
    organizations.sort(
        key=lambda org: (
            type_order[org["type"]],
            org["acronym"].casefold(),
            org["name"],
        )
    )
    return {"types": types, "organizations": organizations}


# --------------------------------------------------------------------------
# Orchestration
# --------------------------------------------------------------------------


def read_json(path: Path) -> Any:
    """Read a UTF-8 JSON file."""
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def dump_json(data: Any) -> str:
    """Serialise deterministically: 2-space indent, real UTF-8, trailing newline.

    Keys keep the insertion order chosen above (code/name first), which is
    deterministic; list order is fixed by each builder.
    """
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def write_text(path: Path, text: str) -> Path:
    """Write a UTF-8 text file with LF line endings, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return path


def build(
    input_dir: Path = DEFAULT_INPUT_DIR, output_root: Path = REPO_ROOT
) -> list[Path]:
    """Build every reference file from ``input_dir`` under ``output_root``.

    Returns the paths written. The tests call this with a temporary
    ``output_root`` and compare the result with the committed files.
    """
    initial_data = read_json(input_dir / INITIAL_DATA_FIXTURE)
    palette = read_json(input_dir / CODEX_TOKENS)["palette"]

    outputs: dict[str, Any] = {
        "capacities.json": build_capacities(
            read_json(input_dir / CAPACITY_DIRECTORY), palette
        ),
        "territories.json": build_territories(read_json(input_dir / REGIONS_FILE)),
        "languages.json": build_languages(initial_data),
        "projects.json": build_projects(
            initial_data, read_json(input_dir / PROJECT_LOGOS_FILE)
        ),
        "avatars.json": build_avatars(read_json(input_dir / AVATAR_FIXTURE)),
        "organizations.json": build_organizations(read_json(input_dir / ORGS_FIXTURE)),
    }

    written = [
        write_text(output_root / DATA_DIR / name, dump_json(data))
        for name, data in outputs.items()
    ]
    for root in outputs["capacities.json"]["roots"]:
        svg = render_icon(ROOT_ICON_SHAPES[root["icon"]])
        written.append(write_text(output_root / ICON_DIR / f"{root['icon']}.svg", svg))
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input-dir", type=Path, default=DEFAULT_INPUT_DIR)
    parser.add_argument("--output-root", type=Path, default=REPO_ROOT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        written = build(args.input_dir, args.output_root)
    except DataError as error:
        log.error("%s", error)
        return 1
    for path in written:
        log.info("wrote %s", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
