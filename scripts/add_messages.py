"""Add or update messages in en.json and qqq.json from a small JSON file, then keep them sorted.

Usage: python scripts/add_messages.py new-messages.json
where the file maps each key to [english text, documentation for translators].
Translations (pt-br.json, ...) may be given as a third element: {"pt-br": "..."}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

I18N = Path(__file__).resolve().parent.parent / "capx" / "i18n"


def main(path: str) -> None:
    new = json.loads(Path(path).read_text(encoding="utf-8"))
    files: dict[str, dict] = {}

    def load(code: str) -> dict:
        if code not in files:
            file = I18N / f"{code}.json"
            files[code] = json.loads(file.read_text(encoding="utf-8")) if file.exists() else {"@metadata": {"authors": []}}
        return files[code]

    for key, entry in new.items():
        load("en")[key] = entry[0]
        load("qqq")[key] = entry[1]
        for code, text in (entry[2] if len(entry) > 2 else {}).items():
            load(code)[key] = text
    for code, data in files.items():
        meta = data.pop("@metadata", {})
        ordered = {"@metadata": meta, **dict(sorted(data.items()))}
        (I18N / f"{code}.json").write_text(json.dumps(ordered, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{len(new)} messages written to {', '.join(sorted(files))}")


if __name__ == "__main__":
    main(sys.argv[1])
