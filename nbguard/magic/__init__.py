"""``%nbguard``: lint the running notebook from inside its kernel.

    %load_ext nbguard
    %nbguard                       # the notebook this kernel runs (panel; also bound to _nbguard)
    %nbguard other.ipynb --select secrets --min-severity high
    %nbguard on [--block high]     # check every cell before it runs; refuse risky ones
    %nbguard off
    %%nbguard                      # check this cell, show its findings, then run it

Which notebook? Jupyter tells a kernel its notebook through the environment:
``JPY_SESSION_NAME`` (jupyter_server >= 2, also ``__session__`` in the user
namespace) or VS Code's ``__vsc_ipynb_file__``. When there is none, or the saved
file does not hold what the kernel ran, the kernel's input history is linted
instead (each input one cell, numbered by its execution count) and the output
says so.

Blocking: IPython runs a cell's input transformers *before* it fires
``pre_run_cell``, and exceptions raised by event callbacks are printed and
ignored, so neither a pre-run hook nor a post transformer can stop a cell on a
decision made in the hook. ``--block`` therefore installs a first-stage input
transformer (``input_transformers_cleanup``), which sees the raw cell, lints it,
and replaces a cell that has a blocking finding with one line raising
:class:`CellBlocked`; the cell's own code never reaches the compiler. The
warnings are printed by the ``pre_run_cell`` handler, which only runs for
cells a user executes (not for silent executions).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

HISTORY_PATH = "<kernel history>"
CELL_PATH = "<cell>"
# Kernel history lint for `%nbguard on`: keep the context cheap.
CONTEXT_INPUTS = 100
CONTEXT_CHARS = 100_000

_OWN_LINE = re.compile(r"^\s*(%{1,2}nbguard\b.*|%(re)?load_ext\s+nbguard\s*|#.*)?$")


class MagicError(Exception):
    """A usage or input problem: printed as one line, never a traceback."""


class CellBlocked(Exception):
    """Raised in place of a cell that ``%nbguard on --block`` refused to run."""

    def __init__(self, *lines: str) -> None:
        super().__init__(lines[0] if lines else "nbguard blocked this cell")
        self.lines = list(lines)

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of a traceback
        return self.lines


# -- argument parsing -----------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise MagicError(message)

    def exit(self, status: int = 0, message: str | None = None):
        if message:
            raise MagicError(message.strip())
        raise _HelpShown()


class _HelpShown(Exception):
    pass


def build_parser(cell: bool = False) -> argparse.ArgumentParser:
    from ..cli import add_rule_options

    prog = "%%nbguard" if cell else "%nbguard"
    p = _Parser(prog=prog, add_help=True,
                description="Lint this cell, then run it." if cell else
                "Lint the running notebook (or PATH); 'on'/'off' check each cell before it runs.")
    if not cell:
        p.add_argument("target", nargs="?", metavar="on|off|PATH",
                       help="'on' or 'off' for pre-run checks, or a notebook to lint (default: this notebook)")
    add_rule_options(p)  # the CLI's --select/--ignore/--min-severity/--config/--no-outputs
    if not cell:
        p.add_argument("--block", choices=["low", "medium", "high", "critical"], metavar="SEVERITY",
                       help="with 'on': refuse to run a cell with a finding at or above SEVERITY")
    return p


def parse_line(line: str, cell: bool = False) -> argparse.Namespace:
    from IPython.utils.process import arg_split

    try:
        argv = arg_split(line, posix=not sys.platform.startswith("win"), strict=True)
    except ValueError as e:
        raise MagicError(f"cannot parse arguments ({e})") from None
    args = build_parser(cell).parse_args(argv)
    if not cell and args.block and args.target != "on":
        raise MagicError("--block goes with 'on' (%nbguard on --block high)")
    return args


def make_config(args: argparse.Namespace, start: str):
    """The CLI's config rules: [tool.nbguard] near ``start``, then the options."""
    from ..cli import UsageError
    from ..cli import make_config as cli_make_config

    ns = argparse.Namespace(paths=[start], config=args.config, select=args.select, ignore=args.ignore,
                            min_severity=args.min_severity, no_outputs=args.no_outputs)
    try:
        return cli_make_config(ns)
    except UsageError as e:
        raise MagicError(str(e)) from None


# -- which notebook does this kernel run? ---------------------------------------------

def notebook_path(user_ns: dict, environ=os.environ) -> tuple[str | None, str]:
    """(path, how it was found) of the kernel's notebook; path None when nothing names one."""
    candidates = [
        ("VS Code's __vsc_ipynb_file__", user_ns.get("__vsc_ipynb_file__")),
        ("JPY_SESSION_NAME", environ.get("JPY_SESSION_NAME")),
        ("__session__", user_ns.get("__session__")),
    ]
    for how, value in candidates:
        if isinstance(value, str) and value.endswith(".ipynb"):
            path = value.removeprefix("file://")
            if not os.path.isabs(path) and not os.path.exists(path) and os.path.exists(os.path.basename(path)):
                path = os.path.basename(path)  # a server path relative to a root we do not know
            return path, how
    return None, ""


def _norm(src: str) -> str:
    return "\n".join(line.rstrip() for line in src.strip("\n").splitlines()).strip()


def _is_own(src: str) -> bool:
    """An input that only loads or runs nbguard (often a new, not yet saved cell)."""
    return all(_OWN_LINE.match(line) for line in src.splitlines()) and not src.lstrip().startswith("%%nbguard")


def unsaved_inputs(file_sources: list[str], inputs: list[tuple[int, str]]) -> list[int]:
    """Execution counts of inputs that ran but are no cell of the saved file."""
    saved = {_norm(s) for s in file_sources}
    return [n for n, src in inputs if _norm(src) and not _is_own(src) and _norm(src) not in saved]


@dataclass
class Target:
    path: str | None  # a notebook file, or None for the kernel history
    note: str = ""  # printed above the report when we fell back to the history


# -- the magics -------------------------------------------------------------------------

@dataclass
class _Watch:
    config: Any
    block: Any = None  # Severity or None
    # raw cell -> findings, filled by the transformer, read by the pre-run hook
    cache: dict[str, list] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)


@magics_class
class NbguardMagics(Magics):
    def __init__(self, shell) -> None:
        super().__init__(shell)
        self.loaded_at = time.time()
        self.ran_at: dict[int, float] = {}  # execution count -> when it finished
        self.watch: _Watch | None = None
        hist = shell.history_manager.input_hist_raw if shell.history_manager else []
        self.current: str | None = hist[-1] if hist else None  # raw source of the cell running now
        self._nested = False  # %%nbguard runs its body with run_cell: do not check it twice

    # ---- events -------------------------------------------------------------------
    def post_run_cell(self, result) -> None:
        count = getattr(result, "execution_count", None)
        if isinstance(count, int):
            self.ran_at[count] = time.time()

    def record_cell(self, info) -> None:
        self.current = getattr(info, "raw_cell", None)

    def register(self) -> None:
        self.shell.events.register("pre_run_cell", self.record_cell)
        self.shell.events.register("post_run_cell", self.post_run_cell)

    def unregister(self) -> None:
        self._stop_watch()
        for event, fn in (("pre_run_cell", self.record_cell), ("post_run_cell", self.post_run_cell)):
            try:
                self.shell.events.unregister(event, fn)
            except ValueError:
                pass

    # ---- %nbguard -----------------------------------------------------------------
    @line_magic
    def nbguard(self, line: str = ""):
        """Lint the running notebook. `%nbguard -h` lists the options."""
        try:
            args = parse_line(line)
            if args.target == "on":
                return self._start_watch(args)
            if args.target == "off":
                return self._stop_watch(verbose=True)
            return self._lint(args)
        except _HelpShown:  # argparse printed the help
            pass
        except MagicError as e:
            _error(str(e))
        return None

    def _lint(self, args: argparse.Namespace):
        from ..api import lint_file, lint_notebook, lint_paths

        if args.target:
            path = os.path.expanduser(args.target)
            if not os.path.exists(path):
                raise MagicError(f"{args.target}: no such file")
            target = Target(path)
        else:
            target = self.find_target()
        config = make_config(args, target.path or os.getcwd())
        if target.path is not None and os.path.isdir(target.path):
            report = lint_paths([target.path], config)  # every notebook under the folder, like the CLI
        elif target.path is not None:
            report = lint_file(_shown_path(target.path), config)
            if report.errors and not report.findings:
                raise MagicError(f"{args.target or target.path}: {report.errors[0].message}")
        else:
            report = lint_notebook(self.history_notebook(), config, path=HISTORY_PATH)
        if target.note:
            print(f"nbguard: {target.note}")
        self.shell.user_ns["_nbguard"] = report
        return report

    def executed_inputs(self) -> list[tuple[int, str]]:
        """(execution count, raw input) of what ran before the cell now running."""
        hist = list(self.shell.history_manager.input_hist_raw) if self.shell.history_manager else []
        out = [(n, src) for n, src in enumerate(hist) if n > 0 and isinstance(src, str)]
        if out and self.current is not None and out[-1][1] == self.current:
            out.pop()
        return out

    def history_notebook(self, extra: str | None = None, limit: int | None = None) -> dict:
        """The kernel's inputs as a notebook: cell i holds In[i + 1]."""
        hist = list(self.shell.history_manager.input_hist_raw)[1:] if self.shell.history_manager else []
        cells = [src if isinstance(src, str) else "" for src in hist]
        if limit is not None:
            keep, size = [], 0
            for src in reversed(cells[-limit:]):
                size += len(src)
                if size > CONTEXT_CHARS:
                    break
                keep.append(src)
            cells = keep[::-1]
        if extra is not None:
            cells.append(extra)
        return {"nbformat": 4, "nbformat_minor": 5,
                "metadata": {"language_info": {"name": "python"}},
                "cells": [{"cell_type": "code", "id": f"in{i + 1}", "metadata": {}, "execution_count": None,
                           "outputs": [], "source": src} for i, src in enumerate(cells)]}

    def find_target(self) -> Target:
        from ..notebook import NotebookError, read_notebook

        path, how = notebook_path(self.shell.user_ns)
        n = len(self.executed_inputs())
        history = f"linted the kernel's input history instead ({n} input{'s' if n != 1 else ''}; cell N = In[N])"
        if path is None:
            return Target(None, "no notebook file is known for this kernel (no JPY_SESSION_NAME or "
                                f"__vsc_ipynb_file__); {history}. Pass a path to lint a file: %nbguard NAME.ipynb")
        if not os.path.isfile(path):
            return Target(None, f"{path} (from {how}) does not exist (renamed or not saved yet?); {history}")
        try:
            nb = read_notebook(path)
        except NotebookError as e:
            return Target(None, f"{path}: {e}; {history}")
        sources = [c.source for c in nb.cells if c.cell_type == "code"]
        missing = unsaved_inputs(sources, self.executed_inputs())
        if not missing:
            return Target(path)
        ran = self.ran_at.get(max(missing), self.loaded_at)  # inputs before %load_ext ran before it
        try:
            mtime = os.path.getmtime(path)
        except OSError:
            mtime = 0.0
        if mtime > ran:
            return Target(path)  # saved after those inputs ran: the file is the newer truth
        shown = ", ".join(f"In[{k}]" for k in missing[:5]) + (", ..." if len(missing) > 5 else "")
        return Target(None, f"{os.path.basename(path)} on disk is older than what ran ({len(missing)} executed "
                            f"input{'s' if len(missing) != 1 else ''} not in the saved file: {shown}); {history}. "
                            "Save the notebook and run %nbguard again to lint the file")

    # ---- %nbguard on / off ------------------------------------------------------------
    def _start_watch(self, args: argparse.Namespace) -> None:
        from ..model import Severity

        config = make_config(args, os.getcwd())
        self._stop_watch()
        self.watch = _Watch(config, Severity.parse(args.block) if args.block else None)
        self.shell.events.register("pre_run_cell", self.pre_run_cell)
        if self.watch.block is not None:
            self.shell.input_transformers_cleanup.insert(0, self.block_transformer)
            print(f"nbguard: checking every cell before it runs; cells with a finding at or above "
                  f"'{self.watch.block.label}' will not run (%nbguard off to stop)")
        else:
            print("nbguard: checking every cell before it runs (%nbguard off to stop)")

    def _stop_watch(self, verbose: bool = False) -> None:
        was_on = self.watch is not None
        self.watch = None
        try:
            self.shell.events.unregister("pre_run_cell", self.pre_run_cell)
        except ValueError:
            pass
        tr = self.shell.input_transformers_cleanup
        tr[:] = [t for t in tr if getattr(t, "__func__", None) is not NbguardMagics.block_transformer]
        if verbose:
            print("nbguard: pre-run checks off" if was_on else "nbguard: pre-run checks were not on")

    def check_cell(self, raw_cell: str, config) -> list:
        """Findings of ``raw_cell``, linted after the kernel's earlier inputs (for context)."""
        from ..api import lint_notebook

        nb = self.history_notebook(extra=raw_cell, limit=CONTEXT_INPUTS)
        last = len(nb["cells"]) - 1
        report = lint_notebook(nb, config, path=CELL_PATH)
        return [f for f in report.findings if f.cell == last]

    def _findings_for(self, raw_cell: str) -> list:
        w = self.watch
        assert w is not None
        key = _norm(raw_cell)
        if key not in w.cache:
            if len(w.cache) > 32:
                w.cache.clear()
            w.cache[key] = self.check_cell(raw_cell, w.config)
        return w.cache[key]

    def block_transformer(self, lines: list[str]) -> list[str]:
        """First-stage input transformer: replace a blocked cell with a line that raises."""
        w = self.watch
        if w is None or w.block is None or self._nested:
            return lines
        raw = "".join(lines)
        try:
            findings = self._findings_for(raw)
        except Exception as e:  # noqa: BLE001 - a linter bug must never stop the user's code
            _error(f"internal error while checking the cell ({type(e).__name__}: {e}); the cell runs unchecked")
            return lines
        stop = [f for f in findings if f.severity >= w.block]
        if not stop:
            return lines
        w.blocked.add(_norm(raw))
        msg = block_message(stop, w.block.label)
        return [f"raise __import__('nbguard.magic', fromlist=['CellBlocked']).CellBlocked(*{msg!r})\n"]

    block_transformer.has_side_effects = True  # type: ignore[attr-defined]  # skip in is_complete checks

    def pre_run_cell(self, info) -> None:
        w = self.watch
        if w is None or self._nested:
            return
        raw = getattr(info, "raw_cell", "") or ""
        key = _norm(raw)
        if not key:
            return
        if key in w.blocked:
            w.blocked.discard(key)
            return  # the CellBlocked error says it all
        if raw.lstrip().startswith("%%nbguard"):
            return  # the cell magic prints its own findings
        try:
            findings = self._findings_for(raw)
        except Exception as e:  # noqa: BLE001
            _error(f"internal error while checking the cell ({type(e).__name__}: {e})")
            return
        if findings:
            print(warning_text(findings), file=sys.stderr)

    # ---- %%nbguard ----------------------------------------------------------------
    @cell_magic("nbguard")
    def nbguard_cell(self, line: str, cell: str):
        """Lint this cell's body, show the findings, then run it."""
        try:
            args = parse_line(line, cell=True)
            config = make_config(args, os.getcwd())
            findings = self.check_cell("%%nbguard\n" + cell, config)
        except _HelpShown:
            return
        except MagicError as e:
            _error(str(e))
            return
        if findings:
            print(warning_text(findings), file=sys.stderr)
        else:
            print("nbguard: no findings in this cell")
        sys.stdout.flush()
        sys.stderr.flush()  # the findings first, then what the cell prints
        self._nested = True
        try:
            self.shell.run_cell(cell, store_history=False)
        finally:
            self._nested = False
        return


def _shown_path(path: str) -> str:
    """The path as the user would type it: relative to the kernel's folder when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if rel.startswith("..") else rel


def _finding_lines(findings, indent: str = "  ") -> list[str]:
    out = []
    for f in findings:
        where = f" (output {f.output + 1})" if f.where == "output" and f.output is not None else ""
        out.append(f"{indent}line {f.line}:{f.column}{where}: {f.rule} [{f.severity.label}] {f.message}")
        if f.snippet.strip():
            out.append(f"{indent}    {f.snippet.strip()}")
    return out


def warning_text(findings) -> str:
    n = len(findings)
    codes = ",".join(sorted({f.rule for f in findings}))
    return "\n".join([f"nbguard: {n} finding{'s' if n != 1 else ''} in this cell"] + _finding_lines(findings)
                     + [f"  (fix it, or silence one line with `# nbguard: ignore[{codes}]`; %nbguard off stops checks)"])


def block_message(findings, threshold: str) -> tuple[str, ...]:
    n = len(findings)
    codes = ",".join(sorted({f.rule for f in findings}))
    return tuple(
        [(f"nbguard blocked this cell: {n} finding{'s' if n != 1 else ''} at or above '{threshold}'; "
          "the cell did not run.")]
        + _finding_lines(findings)
        + ["To run it anyway: fix the finding, or add `# nbguard: ignore[" + codes + "]` to the line, "
           "or run `%nbguard off` (or `%nbguard on` without --block) in a cell of its own."])


def _error(message: str) -> None:
    print(f"nbguard: {message}", file=sys.stderr)


# -- extension entry points ---------------------------------------------------------------

def _instance(ip) -> NbguardMagics | None:
    inst = ip.magics_manager.registry.get("NbguardMagics")
    return inst if isinstance(inst, NbguardMagics) else None


def load_ipython_extension(ip) -> None:
    old = _instance(ip)
    if old is not None:
        old.unregister()
    magics = NbguardMagics(ip)
    ip.register_magics(magics)
    magics.register()


def unload_ipython_extension(ip) -> None:
    inst = _instance(ip)
    if inst is not None:
        inst.unregister()
        ip.magics_manager.registry.pop("NbguardMagics", None)
    for kind in ("line", "cell"):
        ip.magics_manager.magics[kind].pop("nbguard", None)
