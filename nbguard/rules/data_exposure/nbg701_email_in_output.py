from __future__ import annotations

from ...model import Severity
from .._pii import distinct, find_emails, looks_tabular, report_matches, scannable
from ..base import Rule


class EmailInOutput(Rule):
    """## What it does
    Finds e-mail addresses of people saved in cell outputs (stream text, results,
    HTML tables, tracebacks). Only outputs that look like personal data are reported:
    an address in a table (a DataFrame, CSV lines, JSON records) or several distinct
    addresses in one output (medium from three, low for two). One address in a log
    line is not reported, nor are role and service accounts (`support@`, `noreply@`,
    `...@...gserviceaccount.com`), reserved and dummy domains (`example.com`,
    `test.com`), git and ssh remotes (`git@github.com`), URL user names, file names
    (`logo@2x.png`), and package or licence metadata (`Author-email:`, `Copyright`).
    Each output line with addresses is one finding (at most 20 per output).

    ## Why is this bad?
    An output keeps the rows the notebook displayed: `df.head()` of a customer table
    publishes the addresses in it together with the code. Personal data in a shared
    notebook is a privacy incident (GDPR, CCPA) even when the dataset itself is access
    controlled.

    ## Example
    ```python
    customers = pd.read_parquet("crm/customers.parquet")
    customers.head()   # the saved output shows name, email, phone
    ```

    Use instead:
    ```python
    customers.drop(columns=["email", "phone"]).head()   # or mask them, or clear outputs
    ```

    ## References
    - [CWE-359: Exposure of Private Personal Information to an Unauthorized Actor](https://cwe.mitre.org/data/definitions/359.html)
    - [GDPR Art. 4(1): personal data](https://gdpr-info.eu/art-4-gdpr/)
    """

    code = "NBG701"
    name = "email-in-output"
    category = "data-exposure"
    severity = Severity.LOW
    cwe = 359
    peers = ()
    fix = "drop or mask personal columns before displaying, or clear the outputs before sharing"
    texts = frozenset({"output"})

    def check_text(self, text, ctx) -> None:
        body = scannable(text)
        if body is None or "@" not in body:
            return
        matches = find_emails(body)
        if not matches:
            return
        n = distinct(matches)
        tabular = any(looks_tabular(body, m.start, text.label) for m in matches)
        if n >= 3 or tabular:
            severity = Severity.MEDIUM
        elif n == 2:
            severity = Severity.LOW
        else:
            return
        report_matches(self, ctx, body, matches, "e-mail address", severity=severity,
                       extra=" (a table)" if tabular else "")
