"""nbguard's jupyter_server extension: the REST API the JupyterLab front-end calls.

Enabled on install by ``jupyter-config/server-config/nbguard.json``
(``jupyter server extension list`` shows ``nbguard enabled``). Settings, e.g. in
``jupyter_server_config.py`` or on the command line::

    c.NbguardServer.max_body_size = 10 * 1024 * 1024   # bytes; larger POSTs get 413
    c.NbguardServer.max_cells = 10000                   # more cells get 400
"""

from __future__ import annotations

from traitlets import Float, Int
from traitlets.config import Configurable


class NbguardServer(Configurable):
    """Limits and caches of the ``/nbguard/lint`` endpoint."""

    max_body_size = Int(10 * 1024 * 1024, config=True,
                        help="Largest accepted POST /nbguard/lint body, in bytes (larger: 413).")
    max_cells = Int(10_000, config=True, help="Most cells accepted in one lint request (more: 400).")
    config_ttl = Float(2.0, config=True,
                       help="Seconds a project's [tool.nbguard] config is cached before it is read again.")
    cache_size = Int(64, config=True, help="Lint results kept for requests whose notebook content is unchanged.")


def _jupyter_server_extension_points():
    return [{"module": "nbguard.server"}]


def _load_jupyter_server_extension(server_app) -> None:
    from .handlers import NbguardState, setup_handlers

    settings = NbguardServer(parent=server_app)
    root = getattr(server_app.contents_manager, "root_dir", None) or server_app.root_dir
    state = NbguardState(root, settings.max_body_size, settings.max_cells, settings.config_ttl,
                         settings.cache_size)
    setup_handlers(server_app.web_app, state)
    server_app.log.info("nbguard %s: POST %snbguard/lint enabled", _version(), server_app.base_url)


def _version() -> str:
    from .._version import __version__

    return __version__


# jupyter_server 1.x name
load_jupyter_server_extension = _load_jupyter_server_extension
