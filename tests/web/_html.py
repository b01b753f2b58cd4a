"""What a page must not hold, read with an HTML parser (a regex takes an escaped
``onerror=`` inside an attribute's value for an attribute)."""

from __future__ import annotations

from html.parser import HTMLParser

#: Attributes whose value a browser may follow or run as a URL.
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data"}


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not values.get("src"):
                self.problems.append("<script> without src")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>: an event handler attribute")
            url = (value or "").strip().lower()
            if name in _URL_ATTRIBUTES and url.startswith(("javascript:", "vbscript:")):
                self.problems.append(f"<{tag} {name}={value!r}>: a script URL")
        if tag in ("iframe", "object", "embed", "base"):
            self.problems.append(f"<{tag}>: not something our pages use")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"script content: {data.strip()[:60]!r}")


def script_problems(html: str) -> list[str]:
    """Inline scripts, event handler attributes, script URLs and embedding tags."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner.problems
