"""Server-side pagination: page numbers from the query string, windows of page links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class Page:
    """Page ``number`` (1-based) of ``total`` items, ``per_page`` at a time."""

    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_item(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last_item(self) -> int:
        return min(self.offset + self.per_page, self.total)

    def window(self, radius: int = 2) -> list[int | None]:
        """Page numbers to link: first, last, and ``radius`` around the current one (None = gap)."""
        wanted = {1, self.pages, *range(self.number - radius, self.number + radius + 1)}
        numbers = sorted(n for n in wanted if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in numbers:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


def requested_page(args: Mapping[str, str], key: str = "page") -> int:
    """The page number asked for in the query string (1 when missing or malformed)."""
    try:
        return max(1, int(args.get(key, "1")))
    except (TypeError, ValueError):
        return 1


def make_page(number: int, per_page: int, total: int) -> Page:
    """A page, clamped to the last page when the number is past the end."""
    page = Page(number, per_page, total)
    return page if number <= page.pages else Page(page.pages, per_page, total)
