from __future__ import annotations

from ...model import Severity
from .._tokens import scan
from ..base import Rule

_WHERE = {
    "code": "in code", "markdown": "in a markdown cell", "raw": "in a raw cell",
    "output": "in a cell output", "metadata": "in metadata",
}


class ProviderToken(Rule):
    """## What it does
    Finds credentials with a recognisable format (Hugging Face, OpenAI, Anthropic, AWS,
    GitHub, GitLab, Slack, Stripe, Google, Replicate, Groq, PyPI, private keys, JWTs
    and more) anywhere in a notebook: code, markdown, raw cells, outputs (including
    tracebacks) and notebook or cell metadata. Kaggle keys, which have no prefix, are
    recognised where they sit: in `kaggle.json` contents (`{"username": ..., "key": ...}`)
    and after `KAGGLE_KEY=`. Twilio Account SIDs (`AC...`) are identifiers, not secrets,
    and are not reported.

    ## Why is this bad?
    A notebook is shared whole: pushed to Git, rendered on GitHub, attached to a
    ticket. A key pasted into a cell, or printed into an output that was saved, is
    published with it and stays in the history after the cell is fixed. Outputs are
    the usual blind spot: the code may read the key from the environment, but a
    `print(client.api_key)` or a traceback with a tokenised URL saves it in the file.

    ## Example
    ```python
    login(token="hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh")
    ```

    Use instead:
    ```python
    import os
    login(token=os.environ["HF_TOKEN"])  # or huggingface_hub.login() interactively
    ```
    Then revoke the exposed key: removing it from the notebook does not remove it
    from the Git history. Clear saved outputs that show a key.

    ## References
    - [CWE-798: Use of Hard-coded Credentials](https://cwe.mitre.org/data/definitions/798.html)
    - detect-secrets' regex detectors (reused here), which read `.ipynb` files as raw JSON
    - [Hugging Face: user access tokens](https://huggingface.co/docs/hub/security-tokens)
    """

    code = "NBG101"
    name = "hardcoded-provider-token"
    category = "secrets"
    severity = Severity.HIGH
    cwe = 798
    peers = ("detect-secrets:AWSKeyDetector", "detect-secrets:OpenAIDetector", "detect-secrets:GitHubTokenDetector",
             "semgrep:generic.secrets.gitleaks.huggingface-access-token")
    fix = "read the key from the environment (os.environ / getpass), revoke the exposed one, clear leaking outputs"
    texts = frozenset({"code", "markdown", "raw", "output", "metadata"})

    @classmethod
    def autofix(cls, finding, site):
        """A whole-literal credential becomes ``os.environ["NAME"]`` (see ``secrets/_autofix.py``)."""
        from ._autofix import fix_secret

        return fix_secret(finding, site)

    def check_text(self, text, ctx) -> None:
        extra = self.config.extra_secret_patterns if self.config else ()
        for m in scan(text.text, extra):
            where = _WHERE[text.kind]
            if text.kind == "metadata" and text.label:
                where = f"in metadata ('{text.label}')"
            ctx.report_offsets(self, m.start, m.end, f"{m.provider} {where}")
