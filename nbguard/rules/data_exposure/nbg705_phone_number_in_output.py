from __future__ import annotations

from ...model import Severity
from .._pii import find_phones, report_found
from ..base import Rule


class PhoneNumberInOutput(Rule):
    """## What it does
    Finds phone numbers saved in cell outputs, in strict formats only, that a country's
    numbering plan assigns (libphonenumber's metadata, offline: `+999 1234 5678` has no
    country, `+44 12 3456` is too short for the UK): international
    numbers written with a `+` country code (`+44 20 7946 0958`, `+14155552671`) and
    North-American numbers written `(415) 555-2671`, `415-555-2671` or `415.555.2671`
    with valid area and exchange codes, and national numbers with a trunk `0`
    (`020 7946 0321`, `06 12 34 56 78`) only right after a word that says what they
    are ("phone", "tel", "mobile", "call back on"...). Business lines are skipped:
    toll-free numbers, and numbers after an organisation's name on the same line
    (`Civil Hospital Sukkur  +92 71 9310 056`, `Acme Ltd`, `Hotel ...`), and fictional ranges (`555-01xx`, Ofcom's drama numbers)
    count only in a table. Bare digit runs,
    which in logs are ids, counts and timestamps, are never taken for phone numbers.
    Each output line with matches is one finding.

    ## Why is this bad?
    A phone number identifies a person and is personal data; a saved output of a
    customer or patient table publishes it with the notebook.

    ## Example
    ```python
    leads[["name", "phone"]].head()
    ```

    Use instead:
    ```python
    leads[["name"]].head()   # or mask the numbers, or clear the outputs
    ```

    ## References
    - [CWE-359: Exposure of Private Personal Information to an Unauthorized Actor](https://cwe.mitre.org/data/definitions/359.html)
    """

    code = "NBG705"
    name = "phone-number-in-output"
    category = "data-exposure"
    severity = Severity.LOW
    cwe = 359
    peers = ()
    fix = "drop or mask phone numbers before displaying them, and clear the outputs that show them"
    texts = frozenset({"output"})

    def check_text(self, text, ctx) -> None:
        report_found(self, ctx, text, find_phones, "phone number")
