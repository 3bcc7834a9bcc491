"""The rule shared by what one person may send only a few of an hour (issue 19: bug reports,
capacity suggestions), checked the same way for each."""

from __future__ import annotations

from typing import Any, Callable

from tests.conftest import html_text


def check_hourly_limit(post: Callable[..., Any], stored: Callable[[], int], backdate: Callable[..., None],
                       said: str) -> None:
    """Five ``post(title=…)`` go through; the sixth is refused (422) saying ``said`` and keeping the
    typed title and description, and nothing more is stored; an hour later (``backdate(minutes=61)``
    moves everything stored back) one goes through again."""
    for i in range(5):
        assert post(title=f"Item {i}").status_code == 302
    response = post(title="The sixth one", description="Everything I typed, kept.")
    assert response.status_code == 422
    page = html_text(response)
    assert said in page
    assert 'value="The sixth one"' in page and "Everything I typed, kept." in page
    assert stored() == 5
    backdate(minutes=61)
    assert post(title="Later").status_code == 302
