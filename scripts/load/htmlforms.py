"""HTML forms as a browser submits them (for the load test's visitors, scripts/load/locustfile.py).

A small standard-library parser: every form of a page with its inputs, selects and textareas, and
the submission a browser would send for it (ticked checkboxes and radios only, the selected
options, textarea contents, and only the submit button that was pressed).
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit


class Form:
    """One HTML form: its action and its controls, in document order."""

    def __init__(self, action: str, method: str) -> None:
        self.action = action
        self.method = method
        self.controls: list[dict[str, Any]] = []

    def submission(self, button: tuple[str, str] | None = None) -> list[tuple[str, str]]:
        """What a browser sends when ``button`` (name, value) is pressed: the successful controls."""
        data: list[tuple[str, str]] = []
        for c in self.controls:
            name, kind = c.get("name"), c["kind"]
            if not name or c.get("disabled"):
                continue
            if kind in ("submit", "button", "image", "reset", "file"):
                continue
            if kind in ("checkbox", "radio") and not c.get("checked"):
                continue
            if kind == "select":
                chosen = [v for v, selected in c["options"] if selected] or [v for v, _ in c["options"][:1]]
                data += [(name, v) for v in (chosen if c.get("multiple") else chosen[:1])]
                continue
            data.append((name, c.get("value", "on" if kind in ("checkbox", "radio") else "")))
        if button is not None:
            data.append(button)
        return data

    def set(self, data: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
        """``data`` with the single field ``name`` set to ``value``."""
        return [(k, v) for k, v in data if k != name] + [(name, value)]


class FormParser(HTMLParser):
    """Collects every form of a page with its inputs, selects (and options) and textareas."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: dict[str, Any] | None = None
        self._option: list[Any] | None = None
        self._textarea: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            self._form.controls.append({"kind": a.get("type", "text").lower(), "name": a.get("name"),
                                        "value": a.get("value", ""), "checked": "checked" in a,
                                        "disabled": "disabled" in a})
        elif tag == "button":
            self._form.controls.append({"kind": "submit", "name": a.get("name"), "value": a.get("value", "")})
        elif tag == "select":
            self._select = {"kind": "select", "name": a.get("name"), "options": [], "multiple": "multiple" in a,
                            "disabled": "disabled" in a}
            self._form.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a, ""]
            self._select["options"].append(self._option)
        elif tag == "textarea":
            self._textarea = {"kind": "textarea", "name": a.get("name"), "value": "", "disabled": "disabled" in a}
            self._form.controls.append(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea["value"] += data
        elif self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._finish_option()
            self._select = None
        elif tag == "option":
            self._finish_option()
        elif tag == "textarea" and self._textarea is not None:
            # Browsers drop one leading newline of a textarea's content.
            value = self._textarea["value"]
            self._textarea["value"] = value[1:] if value.startswith("\n") else value
            self._textarea = None

    def _finish_option(self) -> None:
        if self._option is not None and self._select is not None:
            if self._option[0] is None:  # no value attribute: the text is the value
                self._option[0] = self._option[2].strip()
            self._select["options"][-1] = (self._option[0], self._option[1])
            self._option = None


def find_form(html: str, action: str) -> Form | None:
    """The form of ``html`` whose action path is ``action``."""
    parser = FormParser()
    parser.feed(html)
    return next((f for f in parser.forms if urlsplit(f.action).path == action), None)
