"""Wikimedia Commons files: normalizing what people paste, and URLs that show them.

We never download files: browsers load them from Commons (allowed by our CSP) through
Special:FilePath, which redirects to a thumbnail of the asked width.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

COMMONS_HOSTS = {"commons.wikimedia.org", "commons.m.wikimedia.org"}
_FILE_PREFIXES = ("File:", "Image:", "Ficheiro:", "Arquivo:", "Archivo:", "Fichier:", "Datei:")
_FILE_NAME_RE = re.compile(r"^[^#<>\[\]|{}/\\:\x00-\x1f]+\.[A-Za-z0-9]{2,5}$")


def normalize_commons_file(value: str | None) -> str | None:
    """The Commons file name in a URL or a title, with underscores, or None if it is not one.

    Accepts ``https://commons.wikimedia.org/wiki/File:X.svg``,
    ``.../wiki/Special:FilePath/X.svg``, ``.../wiki/Special:Redirect/file/X.svg``,
    ``upload.wikimedia.org/wikipedia/commons/a/ab/X.svg``, ``File:X.svg`` and ``X.svg``.
    """
    if not value:
        return None
    value = value.strip()
    name: str | None = None
    if value.startswith(("http://", "https://")):
        parts = urlsplit(value)
        path = unquote(parts.path)
        if parts.hostname in COMMONS_HOSTS:
            for prefix in ("/wiki/Special:FilePath/", "/wiki/Special:Redirect/file/"):
                if path.startswith(prefix):
                    name = path[len(prefix):]
                    break
            else:
                if path.startswith("/wiki/"):
                    title = path[len("/wiki/"):]
                    name = next((title[len(p):] for p in _FILE_PREFIXES if title.startswith(p)), None)
                elif path == "/w/index.php":
                    title = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p).get("title", "")
                    title = unquote(title)
                    name = next((title[len(p):] for p in _FILE_PREFIXES if title.startswith(p)), None)
        elif parts.hostname == "upload.wikimedia.org" and path.startswith("/wikipedia/commons/"):
            segments = path.split("/")
            name = segments[-1] if "thumb" not in segments else segments[segments.index("thumb") + 3]
    else:
        name = next((value[len(p):] for p in _FILE_PREFIXES if value.startswith(p)), value)
    if not name:
        return None
    name = name.replace(" ", "_").strip("_")
    name = name[:1].upper() + name[1:]
    return name if _FILE_NAME_RE.match(name) else None


def commons_file_url(file_name: str, width: int | None = None) -> str:
    """A URL that shows the file (a thumbnail of ``width`` pixels when given)."""
    url = f"https://commons.wikimedia.org/wiki/Special:FilePath/{quote(file_name)}"
    return f"{url}?width={width}" if width else url


def commons_page_url(file_name: str) -> str:
    """The file's description page on Commons."""
    return f"https://commons.wikimedia.org/wiki/File:{quote(file_name)}"
