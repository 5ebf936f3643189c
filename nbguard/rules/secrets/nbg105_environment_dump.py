from __future__ import annotations

import ast
import re

from ...model import Severity
from .._shell import parse, program, stdout_to_file
from ..base import Rule
from ._shared import (
    SHOWN_CALL_NAMES,
    env_dump,
    is_displayed_last_expr,
    output_is_shown,
    saved_secret_env_names,
    secret_name_kind,
    shown_args,
)

# Programs that, run without arguments, print every environment variable with its value.
_DUMPERS = {"env": (), "printenv": (), "set": (), "export": ("-p",), "declare": ("-x", "-p", "-px", "-xp"),
            "typeset": ("-x", "-p"), "compgen": ()}
_SECRET_PATTERN = re.compile(r"key|token|secret|pass|pwd|auth|cred|hf_|openai|wandb|aws", re.I)


class EnvironmentDump(Rule):
    """## What it does
    Finds code that prints the whole environment into the notebook's output:
    `print(os.environ)`, `display(os.environ)`, `pprint(dict(os.environ))`, a loop that
    prints `os.environ.items()`, a comprehension that copies names and values
    (`print({k: v for k, v in os.environ.items()})`; one filtered to other variables is
    a selection, not a dump), `os.environ` / `dict(os.environ)` / `os.environ.items()`
    as the last expression of a cell (IPython displays it), a bare `%env`, and the shell
    listings `!env`, `!printenv`, `!set`, `!export -p` (also in `%%bash` cells). A
    listing filtered by `grep` for something other than credentials is not reported.
    The finding is high when the saved output already lists a credential variable.

    Printing one variable (`print(os.environ["CUDA_VISIBLE_DEVICES"])`) is not a dump;
    printing a secret one is NBG107.

    ## Why is this bad?
    The environment of a notebook kernel is where the keys live: `HF_TOKEN`,
    `WANDB_API_KEY`, `OPENAI_API_KEY`, `AWS_SECRET_ACCESS_KEY`, `KAGGLE_KEY`,
    `MLFLOW_TRACKING_TOKEN`. A dump copies all of them into the output, which is saved
    in the `.ipynb` and published with it.

    ## Example
    ```python
    import os
    print(os.environ)
    ```

    Use instead:
    ```python
    print(sorted(os.environ))  # the names only
    ```

    ## References
    - [CWE-526: Cleartext Storage of Sensitive Information in an Environment Variable](https://cwe.mitre.org/data/definitions/526.html)
    - [CWE-532: Insertion of Sensitive Information into Log File](https://cwe.mitre.org/data/definitions/532.html)
    """

    code = "NBG105"
    call_names = SHOWN_CALL_NAMES  # check_call looks only at shown_args()
    name = "environment-dump"
    category = "secrets"
    severity = Severity.MEDIUM
    cwe = 526
    peers = ("semgrep:python.lang.security.audit.logging.logger-credential-leak",)
    fix = "print only the variable names (sorted(os.environ)) or the one non-secret value you need; clear the output"
    nodes = (ast.Expr, ast.For)

    def _report(self, ctx, span, what: str) -> None:
        leaked = saved_secret_env_names(ctx)
        if leaked:
            ctx.report(self, span, f"{what}; the saved output lists {', '.join(leaked)}", severity=Severity.HIGH,
                       sensitive=False)
        else:
            ctx.report(self, span, what, sensitive=False)

    # -- Python -------------------------------------------------------------------
    def check_call(self, call, ctx) -> None:
        for arg in shown_args(call, ctx):
            if env_dump(arg, ctx.scope):
                self._report(ctx, ctx.node_span(call.node),
                             f"the environment is printed with {call.qualname or 'a call'}")
                return

    def check_node(self, node, ctx) -> None:
        if isinstance(node, ast.Expr):
            if is_displayed_last_expr(node, ctx) and env_dump(node.value, ctx.scope):
                self._report(ctx, ctx.node_span(node), "the environment is displayed as the cell's last expression")
            return
        # for k, v in os.environ.items(): print(k, v)   /   for k in os.environ: print(k, os.environ[k])
        if not output_is_shown(ctx):
            return
        it = node.iter
        q = ctx.scope.qualname(it.func) if isinstance(it, ast.Call) else ctx.scope.qualname(it)
        if q not in ("os.environ.items", "os.environ", "os.environ.keys", "os.environ.values"):
            return
        names = {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        value_name = None
        if q == "os.environ.items" and isinstance(node.target, ast.Tuple) and len(node.target.elts) == 2 \
                and isinstance(node.target.elts[1], ast.Name):
            value_name = node.target.elts[1].id
        elif q == "os.environ.values" and isinstance(node.target, ast.Name):
            value_name = node.target.id
        for sub in ast.walk(ast.Module(body=node.body, type_ignores=[])):
            if not isinstance(sub, ast.Call):
                continue
            fq = ctx.scope.qualname(sub.func) or ""
            if fq not in ("print", "display", "pprint.pprint", "pprint") and not fq.endswith(".write"):
                continue
            for a in ast.walk(ast.Module(body=[ast.Expr(x) for x in sub.args], type_ignores=[])):
                shows_value = (isinstance(a, ast.Name) and a.id == value_name) or (
                    isinstance(a, ast.Subscript) and ctx.scope.qualname(a.value) == "os.environ"
                    and isinstance(a.slice, ast.Name) and a.slice.id in names)
                if shows_value:
                    self._report(ctx, ctx.node_span(node.iter), "every environment variable is printed in a loop")
                    return

    # -- magics and shell -------------------------------------------------------------
    def check_magic(self, magic, ctx) -> None:
        if magic.name == "env" and not magic.args.strip():
            span = (magic.line, max(1, magic.col - 4), magic.line, magic.col)
            self._report(ctx, span, "bare %env lists every environment variable with its value")

    def check_shell(self, cmd, ctx) -> None:
        if cmd.origin == "%%writefile":
            return  # a script written to a file: its output is not the notebook's
        commands = parse(cmd.text)
        for i, c in enumerate(commands):
            inv = program(c)
            name = inv.program if inv is not None else ""
            if name not in _DUMPERS:
                continue
            args = [a.text for a in inv.args]
            if name == "env":
                if any(not a.startswith("-") for a in args):
                    continue  # env VAR=1 cmd: runs a command
            elif name == "printenv":
                if args:
                    continue  # one variable: NBG107 when it is a secret
            elif name == "set":
                if args:
                    continue  # set -e, set -x ...
            elif name == "compgen":
                if args != ["-v"]:
                    continue
            elif args not in ([], *([o] for o in _DUMPERS[name])):
                continue
            if stdout_to_file(c):
                continue  # written to a file, not shown
            nxt = commands[i + 1] if c.sep == "|" and i + 1 < len(commands) else None
            if nxt is not None:
                after = program(nxt)
                if (after is not None and after.program in ("wc", "true")) or stdout_to_file(nxt):
                    continue
                if after is not None and after.program in ("grep", "egrep", "fgrep", "rg", "awk", "sed"):
                    pattern = " ".join(a.text for a in after.args if not a.text.startswith("-"))
                    if not (_SECRET_PATTERN.search(pattern) or secret_name_kind(pattern)):
                        continue
            start = c.words[0].start
            end = c.words[-1].end
            self._report(ctx, cmd.span(start, end), f"`{name}` lists environment variables with their values")
