"""``nbguard`` command line: lint, rules, explain.

Exit codes (``lint``): 0 no findings at or above the threshold, 1 findings,
2 usage error or a file that could not be read (the others are still linted).
"""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


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
    lint.add_argument("--format", default="text", choices=["text", "json", "sarif"])
    lint.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE (atomically)")
    lint.add_argument("--select", action="append", metavar="RULES",
                      help="rules, code prefixes, names or categories to enable (comma-separated)")
    lint.add_argument("--ignore", action="append", metavar="RULES", help="rules or categories to disable")
    lint.add_argument("--min-severity", choices=["low", "medium", "high", "critical"])
    lint.add_argument("--config", metavar="FILE", help="TOML file with a [tool.nbguard] table")
    lint.add_argument("--no-outputs", action="store_true", help="do not scan cell outputs")
    lint.add_argument("--jobs", "-j", type=int, default=0, metavar="N",
                      help="worker processes (default: all cores)")
    lint.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    lint.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")

    rules = sub.add_parser("rules", help="list every rule")
    rules.add_argument("--format", choices=["text", "json", "markdown"], default="text")

    explain = sub.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("rule", help="code (NBG101) or name")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse already printed the usage line
        return EXIT_ERROR if e.code else EXIT_OK
    try:
        if args.command == "lint":
            return cmd_lint(args)
        if args.command == "rules":
            return cmd_rules(args)
        if args.command == "explain":
            return cmd_explain(args)
        parser.print_help()
        return EXIT_OK
    except UsageError as e:
        print(f"nbguard: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("nbguard: interrupted", file=sys.stderr)
        return 130


def make_config(args):
    from .config import ConfigError, load_config
    from .model import Severity
    from .rules.base import known_selector

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
    from .api import iter_reports
    from .model import Report
    from .report import render

    config = make_config(args)
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    report = Report()
    for r in iter_reports(args.paths or ["."], config, jobs):
        report.extend(r)
    color = args.color == "always" or (
        args.color == "auto" and args.format == "text" and not args.output and sys.stdout.isatty()
        and not os.environ.get("NO_COLOR"))
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


def cmd_rules(args) -> int:
    import json

    from .rules.base import all_rules

    rules = all_rules().values()
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
    from .docs import render_rule
    from .rules.base import get_rule

    rule = get_rule(args.rule)
    if rule is None:
        raise UsageError(f"unknown rule {args.rule!r} (see 'nbguard rules')")
    print(render_rule(rule))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
