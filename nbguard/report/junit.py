"""JUnit XML for CI dashboards: one ``<testsuite>`` per notebook, one failing
``<testcase>`` per finding (a notebook that cannot be read is a ``<testcase>`` with
an ``<error>``). With nothing to report, one passing test case says how many
notebooks were checked, so dashboards show a green run rather than an empty one.
Snippets are masked, as in every format; characters XML cannot hold are dropped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .text import location, where_suffix

# Characters outside XML 1.0's Char production (controls, lone surrogates, U+FFFE/FFFF).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(s: str) -> str:
    return _INVALID_XML.sub("\ufffd", s)


def _case_name(f) -> str:
    parts = [f"cell {f.cell + 1}" if f.cell >= 0 else "notebook metadata"]
    if f.where == "output":
        parts.append(f"output {f.output + 1 if f.output is not None else '?'}")
    elif f.where == "metadata" and f.cell >= 0:
        parts.append("metadata")
    parts.append(f"line {f.line}")
    return f"{f.rule} {f.name} ({', '.join(parts)})"


def render(report) -> str:
    root = ET.Element("testsuites", name="nbguard")
    suites: dict[str, list] = {}
    for f in report.findings:
        suites.setdefault(f.path, []).append(f)
    errors: dict[str, list] = {}
    for e in report.errors:
        errors.setdefault(e.path, []).append(e)
    total_tests = total_failures = total_errors = 0
    for path in list(dict.fromkeys(list(suites) + list(errors))):
        fs, es = suites.get(path, []), errors.get(path, [])
        suite = ET.SubElement(root, "testsuite", name=_clean(path), tests=str(len(fs) + len(es)),
                              failures=str(len(fs)), errors=str(len(es)), skipped="0")
        for f in fs:
            case = ET.SubElement(suite, "testcase", classname=_clean(path), name=_clean(_case_name(f)),
                                 file=_clean(path))
            if f.raw_line:
                case.set("line", str(f.raw_line))
            body = [f"{location(f)} {f.rule} [{f.severity.label}] {f.message}{where_suffix(f)}"]
            if f.snippet.strip():
                body.append(f"    {f.snippet}")
            if f.fix:
                body.append(f"fix: {f.fix}")
            failure = ET.SubElement(case, "failure", message=_clean(f.message), type=f"{f.rule} {f.severity.label}")
            failure.text = _clean("\n".join(body))
        for e in es:
            case = ET.SubElement(suite, "testcase", classname=_clean(path), name="read notebook", file=_clean(path))
            err = ET.SubElement(case, "error", message=_clean(e.message), type="unreadable")
            err.text = _clean(str(e))
        total_tests += len(fs) + len(es)
        total_failures += len(fs)
        total_errors += len(es)
    if not total_tests:
        suite = ET.SubElement(root, "testsuite", name="nbguard", tests="1", failures="0", errors="0", skipped="0")
        n = report.files
        ET.SubElement(suite, "testcase", classname="nbguard",
                      name=f"lint {n} notebook{'s' if n != 1 else ''}: no findings")
        total_tests = 1
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", str(total_errors))
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
