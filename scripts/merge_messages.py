"""A git merge driver for the banana message files: a three-way merge by key.

Branches that add messages at the same time touch neighbouring lines of the same JSON file; a
line-based merge then conflicts although the changes are independent. This driver merges the
key sets instead (a key changed on both sides to different texts keeps "theirs" and is reported).

Enable it in a clone with:
    git config merge.banana.name "banana message files"
    git config merge.banana.driver "python3 scripts/merge_messages.py %O %A %B"
(.gitattributes already routes capx/i18n/*.json to it.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def load(path: str) -> dict:
    text = Path(path).read_text(encoding="utf-8").strip()
    return json.loads(text) if text else {}


def main(base_path: str, ours_path: str, theirs_path: str) -> int:
    base, ours, theirs = load(base_path), load(ours_path), load(theirs_path)
    merged = dict(ours)
    for key in set(base) | set(theirs):
        if key == "@metadata":
            continue
        in_base, in_theirs = key in base, key in theirs
        if in_theirs and (not in_base or theirs[key] != base[key]):
            if key in ours and ours[key] != theirs[key] and in_base and ours[key] != base[key]:
                print(f"merge_messages: {key} changed on both sides; keeping theirs", file=sys.stderr)
            merged[key] = theirs[key]
        elif in_base and not in_theirs and key in ours and ours[key] == base[key]:
            del merged[key]
    meta = ours.get("@metadata") or theirs.get("@metadata") or {}
    authors = sorted(set(meta.get("authors", [])) | set((theirs.get("@metadata") or {}).get("authors", [])))
    meta = {**meta, "authors": authors}
    body = {k: v for k, v in merged.items() if k != "@metadata"}
    out = {"@metadata": meta, **dict(sorted(body.items()))}
    Path(ours_path).write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
