"""The HTML error page a browser gets on a public URL (404 unknown, 410 gone); JSON clients keep the JSON body."""

from __future__ import annotations

from hosting.pages.env import render

__all__ = ["render_error_page"]

_TEXT = {
    404: ("Not found", ("There is no badge, credential or issuer at this address. It may have been mistyped, "
                        "or it is not published.")),
    410: ("Gone", "This badge is no longer available: its issuer withdrew it."),
}


def render_error_page(status: int, message: str | None = None) -> bytes:
    title, default = _TEXT.get(status, ("Something went wrong", "This page could not be shown."))
    return render("error.html", status=status, title=title, message=message or default)
