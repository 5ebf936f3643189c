from __future__ import annotations

from ...model import Severity
from .._pii import find_ibans, report_found
from ..base import Rule


class IbanInOutput(Rule):
    """## What it does
    Finds international bank account numbers (IBANs) saved in cell outputs, written
    compact (`DE44500105175407324931`) or in groups of four. A match must have the
    length and account format registered for its country (a German BBAN is 18 digits,
    a Dutch one a 4-letter bank code and 10 digits; python-stdnum's registry data) and
    pass the ISO 13616 mod-97 check. The
    example IBANs of banks' and standards' documentation (`GB82WEST12345698765432`)
    count only in a table. Each output line with matches is one finding.

    ## Why is this bad?
    An IBAN identifies a person's bank account and, with a name, is enough for direct
    debit fraud. It is personal data, and a saved output publishes it with the
    notebook.

    ## Example
    ```python
    payouts.head()   # the saved output shows an iban column
    ```

    Use instead:
    ```python
    payouts.assign(iban=payouts.iban.str[:4] + "…").head()
    ```

    ## References
    - [CWE-359: Exposure of Private Personal Information to an Unauthorized Actor](https://cwe.mitre.org/data/definitions/359.html)
    - [ISO 13616 IBAN registry (SWIFT)](https://www.swift.com/standards/data-standards/iban-international-bank-account-number)
    """

    code = "NBG704"
    name = "iban-in-output"
    category = "data-exposure"
    severity = Severity.MEDIUM
    cwe = 359
    peers = ()
    fix = "mask the account numbers before displaying them, and clear the outputs that show them"
    texts = frozenset({"output"})

    def check_text(self, text, ctx) -> None:
        report_found(self, ctx, text, find_ibans, "IBAN")
