"""``nbguard`` command line: lint, rules, explain.

Exit codes (``lint``): 0 no findings at or above the threshold, 1 findings,
2 usage error or a file that could not be read (the others are still linted).
"""

from __future__ import annotations

import argparse
import os
import sys

from ._version import __version__

from .model import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, UsageError  # noqa: F401 (cli's names, used by front-ends)


def _split(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nbguard", description="Security linter for Jupyter notebooks.")
    p.add_argument("--version", action="version", version=f"nbguard {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    lint = sub.add_parser("lint", help="lint notebooks and folders")
    lint.add_argument("paths", nargs="*", metavar="PATH", help="notebooks or folders (default: .)")
    lint.add_argument("--format", default="text", choices=["text", "json", "sarif", "github", "junit", "html"])
    lint.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE (atomically)")
    add_rule_options(lint)
    lint.add_argument("--jobs", "-j", type=int, default=0, metavar="N",
                      help="worker processes (default: all cores)")
    lint.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    lint.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    lint.add_argument("--quiet", "-q", action="store_true",
                      help="no progress line on the terminal (it is shown on stderr for runs over a second)")
    lint.add_argument("--baseline", metavar="FILE",
                      help="report and fail only on findings not recorded in FILE (see 'nbguard baseline')")
    lint.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
    lint.add_argument("--cache-dir", metavar="DIR",
                      help="result cache folder (default: .nbguard_cache next to the config file, else in the "
                           "current folder)")
    lint.add_argument("--dask", metavar="ADDRESS",
                      help="lint on a Dask cluster: a scheduler address (tcp://host:8786) or 'local' (one worker "
                           "per core); PATHS may then also be fsspec URLs (s3://, gs://, abfs://, file://)")
    lint.add_argument("--storage-option", action="append", metavar="KEY=VALUE",
                      help="with --dask: an fsspec storage option for URL paths (repeatable)")

    rules = sub.add_parser("rules", help="list every rule")
    rules.add_argument("--format", choices=["text", "json", "markdown"], default="text")

    explain = sub.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("rule", help="code (NBG101) or name")
    _add_ci_commands(sub)

    clean = sub.add_parser("clean", help="remove the result cache (.nbguard_cache)")
    clean.add_argument("--cache-dir", metavar="DIR", help="the cache folder to remove (default: as for lint)")
    clean.add_argument("--config", metavar="FILE", help="TOML file with a [tool.nbguard] table")

    sub.add_parser("lsp", help="run the language server (LSP over stdio) for VS Code, Neovim, JupyterLab-LSP ...",
                   description="Language server over stdin/stdout; settings come from the editor (see docs/lsp.md).")
    return p


class _Terminated(KeyboardInterrupt):
    """SIGTERM ends a run like Ctrl-C (temp files removed, workers stopped), exit status 143."""


def _terminated(signum, frame):
    raise _Terminated


def main(argv: list[str] | None = None) -> int:
    import signal

    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_DFL:
        try:
            signal.signal(signal.SIGTERM, _terminated)
        except ValueError:  # not the main thread (main() called from a library user's thread)
            previous = None
    try:
        return _main(argv)
    except BrokenPipeError:  # `nbguard rules | head`: the reader left; say nothing more
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush does not fail too
        except (OSError, ValueError):
            pass
        return 1
    finally:
        if previous is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, previous)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """nbguard's own warnings (a plugin that could not be loaded) are one line on stderr."""
    if category.__module__.startswith("nbguard."):
        print(f"nbguard: warning: {message}", file=sys.stderr)
    else:
        _default_show_warning(message, category, filename, lineno, file, line)


def _main(argv: list[str] | None) -> int:
    import warnings

    with warnings.catch_warnings():  # restores the caller's showwarning afterwards
        global _default_show_warning
        _default_show_warning, warnings.showwarning = warnings.showwarning, _show_warning
        return _run(argv)


_default_show_warning = None


def _run(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse already printed the usage line
        return EXIT_ERROR if e.code else EXIT_OK
    if args.command in ("lint", "baseline", "fix"):
        from .api import tune_gc_for_batch

        tune_gc_for_batch()
    try:
        if args.command == "lint":
            return cmd_lint(args)
        if args.command == "rules":
            return cmd_rules(args)
        if args.command == "explain":
            return cmd_explain(args)
        if args.command == "baseline":
            return cmd_baseline(args)
        if args.command == "fix":
            return cmd_fix(args)
        if args.command == "clean":
            return cmd_clean(args)
        if args.command == "lsp":
            from .lsp import main as lsp_main

            return lsp_main()
        parser.print_help()
        return EXIT_OK
    except UsageError as e:
        print(f"nbguard: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt as e:
        print("nbguard: interrupted", file=sys.stderr)
        return 143 if isinstance(e, _Terminated) else 130  # 128 + the signal, as shells report it


def make_config(args):
    from .api import ConfigError, known_selector, load_config
    from .model import Severity

    start = args.paths[0] if args.paths else "."
    try:
        cfg = load_config(args.config, start=start if os.path.exists(start) else ".")
    except ConfigError as e:
        raise UsageError(str(e)) from None
    select, ignore = _split(args.select), _split(args.ignore)
    for s in select + ignore:
        if not known_selector(s):
            raise UsageError(f"unknown rule or category {s!r} (see 'nbguard rules')")
    if select:
        cfg.select = select
    cfg.ignore = cfg.ignore + ignore
    if args.min_severity:
        cfg.min_severity = Severity.parse(args.min_severity)
    if args.no_outputs:
        cfg.outputs = False
    return cfg


def cmd_lint(args) -> int:
    from .api import iter_reports, open_cache
    from .model import Report
    from .report import render

    config = make_config(args)
    baseline = _load_baseline(args.baseline) if args.baseline else None
    color = args.color == "always" or (
        args.color == "auto" and args.format == "text" and not args.output and sys.stdout.isatty()
        and not os.environ.get("NO_COLOR"))
    if args.dask:  # the same report, linted on a cluster (nbguard.distributed)
        from .distributed import cmd_lint as lint_on_dask

        return lint_on_dask(args, config, baseline, color)
    jobs = args.jobs if args.jobs > 0 else _cpu_count()
    cache = None if args.no_cache else open_cache(config, args.cache_dir)
    report = Report()
    progress = None if args.quiet or not _isatty(sys.stderr) else Progress(sys.stderr)
    try:
        for r in iter_reports(args.paths or ["."], config, jobs, cache, progress):
            report.extend(r)
    finally:
        if progress is not None:
            progress.clear()
    if baseline is not None:
        report = _filter_baseline(report, baseline, args.baseline)
    text = render(report, args.format, color=color)
    if args.output:
        from .fsutil import atomic_write

        try:
            atomic_write(args.output, text)
        except OSError as e:
            raise UsageError(f"{args.output}: cannot write report ({e.strerror or e})") from None
        if args.format != "text":
            from .report.text import summary_line

            print(summary_line(report), file=sys.stderr)
    else:
        sys.stdout.write(text)
    if args.format != "text" and report.errors:
        for e in report.errors:
            print(str(e), file=sys.stderr)
    if report.errors:
        return EXIT_ERROR
    if report.findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_OK


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed stream
        return False


class Progress:
    """The progress line a terminal shows during a long ``nbguard lint`` (stderr: notebooks
    done / total, findings so far, rate). Drawn only once the run has taken ``after`` seconds,
    redrawn at most every ``every`` seconds, and erased before the report is printed."""

    after = 1.0
    every = 0.1

    def __init__(self, stream) -> None:
        self.stream = stream
        self.start: float | None = None
        self.drawn_at: float | None = None

    def __call__(self, done: int, total: int, findings: int) -> None:
        import time

        now = time.monotonic()
        if self.start is None:
            self.start = now
        elapsed = now - self.start
        if elapsed < self.after or (self.drawn_at is not None and now - self.drawn_at < self.every
                                    and done < total):
            return
        self.drawn_at = now
        rate = done / elapsed if elapsed > 0 else 0.0
        self.stream.write(f"\r\x1b[Knbguard: {done}/{total} notebooks, {findings} finding{'s' if findings != 1 else ''}"
                          f", {rate:.0f} notebooks/s")
        self.stream.flush()

    def clear(self) -> None:
        if self.drawn_at is not None:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn_at = None


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1  # the cores this process may use
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def cmd_clean(args) -> int:
    from .api import ConfigError, clean_cache, default_cache_dir, load_config

    folder = args.cache_dir
    if folder is None:
        try:
            folder = default_cache_dir(load_config(args.config, start="."))
        except ConfigError as e:
            raise UsageError(str(e)) from None
    try:
        removed = clean_cache(folder)
    except OSError as e:
        raise UsageError(str(e)) from None
    print(f"nbguard: {'removed' if removed else 'no cache at'} {folder}", file=sys.stderr)
    return EXIT_OK


def cmd_rules(args) -> int:
    import json

    from .api import list_rules

    rules = list_rules()
    if args.format == "json":
        print(json.dumps([r.to_dict() for r in rules], indent=2))
    elif args.format == "markdown":
        from .docs import rules_table

        print(rules_table())
    else:
        for r in rules:
            print(f"{r.code}  {r.name:<34} {r.category:<23} {r.severity.label:<8} {r.summary()}")
    return EXIT_OK


def cmd_explain(args) -> int:
    from .api import get_rule
    from .docs import render_rule

    rule = get_rule(args.rule)
    if rule is None:
        raise UsageError(f"unknown rule {args.rule!r} (see 'nbguard rules')")
    print(render_rule(rule))
    return EXIT_OK


# -- adoption in CI: baselines and safe fixes ------------------------------------------------


def add_rule_options(p: argparse.ArgumentParser) -> None:
    """--select/--ignore/--min-severity/--config/--no-outputs, read by :func:`make_config`
    (shared by ``lint``, ``baseline``, ``fix`` and the ``%nbguard`` magics)."""
    p.add_argument("--select", action="append", metavar="RULES",
                   help="rules, code prefixes, names or categories to enable (comma-separated)")
    p.add_argument("--ignore", action="append", metavar="RULES", help="rules or categories to disable")
    p.add_argument("--min-severity", choices=["low", "medium", "high", "critical"])
    p.add_argument("--config", metavar="FILE", help="TOML file with a [tool.nbguard] table")
    p.add_argument("--no-outputs", action="store_true", help="do not scan cell outputs")


def _add_config_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="notebooks or folders (default: .)")
    add_rule_options(p)


def _add_ci_commands(sub) -> None:
    from .model import BASELINE_FILE as DEFAULT_FILE

    base = sub.add_parser("baseline", help="record today's findings so that only new ones fail")
    actions = base.add_subparsers(dest="baseline_command", metavar="ACTION")
    create = actions.add_parser("create", help="write a baseline holding every current finding")
    update = actions.add_parser("update", help="drop entries that no longer occur (--add: record new findings)")
    for p in (create, update):
        _add_config_options(p)
        p.add_argument("--output", "-o", "--baseline", dest="baseline_file", default=DEFAULT_FILE, metavar="FILE",
                       help=f"the baseline file (default: {DEFAULT_FILE})")
        p.add_argument("--jobs", "-j", type=int, default=0, metavar="N", help="worker processes (default: all cores)")
    update.add_argument("--add", action="store_true", help="also record findings that are not in the baseline")

    fix = sub.add_parser("fix", help="apply safe fixes: secrets to os.environ, torch.load weights_only, "
                                     "yaml.safe_load")
    _add_config_options(fix)
    fix.add_argument("--diff", action="store_true",
                     help="print the changes as a unified diff (secrets masked) and write nothing")
    fix.add_argument("--clear-leaking-outputs", action="store_true",
                     help="also remove outputs that hold a secret or personal data")


def _load_baseline(path: str):
    from . import api

    try:
        return api.load_baseline(path)
    except api.BaselineError as e:
        raise UsageError(str(e)) from None


def _filter_baseline(report, baseline, path: str):
    from .api import filter_baseline

    report, n = filter_baseline(report, baseline)
    if n:
        print(f"nbguard: {n} finding{'s' if n != 1 else ''} recorded in the baseline {path} not shown",
              file=sys.stderr)
    return report


def cmd_baseline(args) -> int:
    from . import api
    from .api import discover, iter_reports
    from .model import FileError, Report

    if not args.baseline_command:
        raise UsageError("baseline: expected an action: create or update")
    config = make_config(args)
    existing = _load_baseline(args.baseline_file) if args.baseline_command == "update" else None
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    items = list(discover(args.paths or ["."], config))
    files = [x for x in items if isinstance(x, str)]
    report = Report(errors=[x for x in items if isinstance(x, FileError)])
    for r in iter_reports(files, config, jobs):
        report.extend(r)
    for e in report.errors:
        print(str(e), file=sys.stderr)
    path = args.baseline_file
    try:
        if existing is None:
            b = api.create_baseline(report.findings, path, config)
            b.save(path)
            n, nb = len(b.entries), len({e.path for e in b.entries})
            print(f"nbguard: wrote {path}: {n} finding{'s' if n != 1 else ''} in {nb} of {report.files} "
                  f"notebook{'s' if report.files != 1 else ''}", file=sys.stderr)
        else:
            unreadable = {e.path for e in report.errors}
            linted = [f for f in files if f not in unreadable]
            new = len(existing.match(report.findings).new)
            dropped, added = api.update_baseline(existing, report.findings, linted, config, add=args.add)
            existing.save(path)
            msg = f"nbguard: updated {path}: {dropped} entr{'ies' if dropped != 1 else 'y'} dropped"
            if args.add:
                msg += f", {added} added"
            elif new:
                msg += f"; {new} new finding{'s' if new != 1 else ''} not added (use --add)"
            print(msg, file=sys.stderr)
    except api.BaselineError as e:
        raise UsageError(str(e)) from None
    return EXIT_ERROR if report.errors else EXIT_OK


def cmd_fix(args) -> int:
    from .api import FixError, fix_diff, fix_summary, iter_fixes
    from .fsutil import atomic_write
    from .model import FileError
    from .report.text import location, where_suffix

    config = make_config(args)
    errors = fixed = changed = 0
    remaining = []
    for item, res in iter_fixes(args.paths or ["."], config, clear_outputs=args.clear_leaking_outputs,
                                for_diff=args.diff):
        if isinstance(res, FileError):
            print(str(res), file=sys.stderr)
            errors += 1
            continue
        if isinstance(res, FixError):
            print(f"{item}: error: {res}", file=sys.stderr)
            errors += 1
            continue
        if res.changed:
            if args.diff:
                sys.stdout.write(fix_diff(res, config))
            else:
                try:
                    atomic_write(item, res.data)
                except OSError as e:
                    print(f"{item}: error: cannot write the fixed notebook ({e.strerror or e}); "
                          "the file is unchanged", file=sys.stderr)
                    errors += 1
                    continue
                print(fix_summary(res))
            fixed += len(res.changes) + len(res.cleared)
            changed += 1
        remaining.extend(res.remaining)
    out = sys.stderr if args.diff else sys.stdout
    for f in remaining:
        print(f"{location(f)} {f.rule} [{f.severity.label}] {f.message}{where_suffix(f)}", file=out)
    verb = "Would fix" if args.diff else "Fixed"
    print(f"{verb} {fixed} finding{'s' if fixed != 1 else ''} in {changed} notebook{'s' if changed != 1 else ''}; "
          f"{len(remaining)} finding{'s' if len(remaining) != 1 else ''} "
          f"{'would remain' if args.diff else 'remain'} (not safely auto-fixable).", file=out)
    if errors:
        return EXIT_ERROR
    if remaining or (args.diff and fixed):
        return EXIT_FINDINGS
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
