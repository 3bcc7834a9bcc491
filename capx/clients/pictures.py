"""Copies of pictures kept on hosts CapX does not link to (badge issuers, WikiLearn courses).

Pages load pictures only from Commons; a picture anywhere else is copied once, size-capped and
checked, and CapX serves the copy. :func:`fetch_picture` is the one download: https only, streamed
and given up beyond a size, a PNG, JPEG, GIF or WebP by its declared type AND its first bytes (no
SVG: it may carry scripts). Anything else raises the caller's error type (the client's own).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from capx.clients.http import E, TimeoutSession, capped_body, new_session, send

#: Picture types stored and served, by their first bytes (WebP: "RIFF....WEBP").
IMAGE_SIGNATURES = (("image/png", b"\x89PNG\r\n\x1a\n"), ("image/jpeg", b"\xff\xd8\xff"),
                    ("image/gif", b"GIF87a"), ("image/gif", b"GIF89a"))
PICTURE_TYPES = frozenset({t for t, _ in IMAGE_SIGNATURES} | {"image/webp"})
HOST = "the picture's host"


@dataclass(frozen=True)
class FetchedImage:
    content_type: str
    data: bytes


def sniffed_type(head: bytes) -> str | None:
    """The picture type the first bytes say, or None."""
    for content_type, signature in IMAGE_SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def fetch_picture(url: str, max_bytes: int, session: TimeoutSession | None = None, *,
                  error: type[E]) -> FetchedImage:
    """A copy of the picture at ``url`` (see the module); refusals and failures raise ``error``
    ("scheme", "type", "too-large", "http-<status>", "timeout", "unreachable")."""
    if urlsplit(url).scheme != "https":
        raise error("only https pictures are copied", "scheme")
    session = session or new_session()
    response = send(session, "GET", url, stream=True, error=error, service=HOST)
    try:
        if response.status_code != 200:
            raise error(f"{HOST} answered HTTP {response.status_code}", f"http-{response.status_code}")
        declared = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if declared not in PICTURE_TYPES:
            raise error(f"not a PNG, JPEG, GIF or WebP picture ({declared or 'no type'})", "type")
        data = capped_body(response, error=error, service=HOST, limit=max_bytes, too_large="too-large")
    finally:
        response.close()
    sniffed = sniffed_type(data[:16])
    if sniffed is None or sniffed != declared:
        raise error("the picture's content is not what its type says", "type")
    return FetchedImage(content_type=sniffed, data=data)
