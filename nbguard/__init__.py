"""nbguard: the security linter for Jupyter notebooks.

    import nbguard
    report = nbguard.lint_notebook("analysis.ipynb")
    report.findings, report.to_json(), report.to_sarif(), report.to_dataframe()

Importing nbguard is cheap: the engine loads on first use, and pandas,
ipywidgets and jupyter_server are imported only by the front-ends that need them.
"""

from __future__ import annotations

from ._version import __version__

__all__ = ["__version__", "lint_notebook", "lint_paths", "Report", "Finding", "load_ipython_extension",
           "unload_ipython_extension"]


def lint_notebook(nb, config=None, *, path=None):
    """Lint one notebook (a path or nbformat JSON as a dict) and return a Report."""
    from .api import lint_notebook as _lint

    return _lint(nb, config, path=path)


def lint_paths(paths, config=None, jobs=1):
    """Lint notebooks and folders (recursively) and return one Report."""
    from .api import lint_paths as _lint

    return _lint(paths, config, jobs)


def __getattr__(name):
    if name in ("Report", "Finding", "Severity"):
        from . import model

        return getattr(model, name)
    raise AttributeError(name)


def load_ipython_extension(ipython):  # %load_ext nbguard
    from .magic import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython):
    from .magic import unload_ipython_extension as _unload

    _unload(ipython)


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "nbguard"}]


def _jupyter_server_extension_points():
    return [{"module": "nbguard.server"}]
