"""Keep the message files tidy: `@metadata` first, keys sorted, two-space JSON, final newline.

Sorted keys let several features add messages at once without merge conflicts at the end of the
file. Usage: python scripts/i18n_tool.py [--check]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

I18N = Path(__file__).resolve().parent.parent / "capx" / "i18n"


def normalized(path: Path) -> str:
    data = json.loads(path.read_text(encoding="utf-8"))
    meta = data.pop("@metadata", {})
    ordered = {"@metadata": meta, **dict(sorted(data.items()))}
    return json.dumps(ordered, ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    bad = []
    for path in sorted(I18N.glob("*.json")):
        text = normalized(path)
        if path.read_text(encoding="utf-8") != text:
            if check:
                bad.append(path.name)
            else:
                path.write_text(text, encoding="utf-8")
    if bad:
        print("not normalized (run python scripts/i18n_tool.py):", ", ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
