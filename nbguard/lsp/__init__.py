"""``nbguard lsp``: the language server (LSP 3.17 over stdio), for VS Code, Neovim, JupyterLab-LSP
and every other editor that speaks the Language Server Protocol.

It needs pygls (and lsprotocol, which pygls brings), the ``lsp`` extra; without it the command
prints a one-line hint and exits 2. The server itself is :mod:`nbguard.lsp.server`.
"""

from __future__ import annotations

import sys

HINT = "nbguard: the language server needs pygls: pip install 'nbguard[lsp]'"


def main(argv: list[str] | None = None) -> int:
    """Run the server on stdin/stdout until the client says ``exit`` (or closes the pipe)."""
    try:
        import lsprotocol.types  # noqa: F401
        import pygls.lsp.server  # noqa: F401
    except ImportError:
        print(HINT, file=sys.stderr)
        return 2
    from .server import serve

    return serve()
