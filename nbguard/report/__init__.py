"""Report formats: a registry of renderers, ``render(report, fmt) -> str``; nothing here reads files.

Each format lives in its own module (imported on first use) with ``render(report, ...) -> str``.
The data (:mod:`nbguard.model`) knows nothing of its renderings: ``Report.to_json()`` and the
other conveniences call :func:`render` when they are called.
"""

from __future__ import annotations

from typing import Callable


def _text(report, *, color: bool = False, **_) -> str:
    from . import text

    return text.render(report, color=color)


def _json(report, *, indent: int | None = 2, **_) -> str:
    from . import json_format

    return json_format.render(report, indent=indent)


def _sarif(report, **_) -> str:
    from . import sarif

    return sarif.render(report)


def _github(report, **_) -> str:
    from . import github

    return github.render(report)


def _junit(report, **_) -> str:
    from . import junit

    return junit.render(report)


def _html(report, **_) -> str:
    from . import html

    return html.render(report)


RENDERERS: dict[str, Callable[..., str]] = {
    "text": _text, "json": _json, "sarif": _sarif, "github": _github, "junit": _junit, "html": _html,
}
FORMATS = tuple(RENDERERS)


def render(report, fmt: str, **options) -> str:
    """``report`` in format ``fmt`` (one of :data:`FORMATS`). Options a format does not take are
    ignored (``color`` is the text format's; ``indent`` the JSON format's)."""
    renderer = RENDERERS.get(fmt)
    if renderer is None:
        raise ValueError(f"unknown format {fmt!r}")
    return renderer(report, **options)


def to_dataframe(report):
    """The findings as a pandas DataFrame, one column per JSON field (pandas is imported only here)."""
    import pandas as pd

    from .json_format import FINDING_FIELDS

    return pd.DataFrame([f.to_dict() for f in report.findings], columns=list(FINDING_FIELDS))
