"""Report formats. Each module has ``render(report, ...) -> str``; nothing here reads files."""

from __future__ import annotations

FORMATS = ("text", "json", "sarif", "github", "junit", "html")


def render(report, fmt: str, *, color: bool = False) -> str:
    if fmt == "text":
        from . import text

        return text.render(report, color=color)
    if fmt == "json":
        from . import json_format

        return json_format.render(report)
    if fmt == "sarif":
        from . import sarif

        return sarif.render(report)
    if fmt == "github":
        from . import github

        return github.render(report)
    if fmt == "junit":
        from . import junit

        return junit.render(report)
    if fmt == "html":
        from . import html

        return html.render(report)
    raise ValueError(f"unknown format {fmt!r}")
