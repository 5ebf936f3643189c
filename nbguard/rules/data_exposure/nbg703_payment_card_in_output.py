from __future__ import annotations

from ...model import Severity
from .._pii import find_cards, report_found
from ..base import Rule


class PaymentCardInOutput(Rule):
    """## What it does
    Finds payment card numbers saved in cell outputs: 13 to 19 digits, written
    plain or grouped (`4-4-4-4`, `4-6-5`) with one kind of separator, with an issuer
    prefix and length of a known network (Visa, Mastercard, American Express,
    Discover, Diners Club, JCB, UnionPay) and a valid Luhn check digit. Published test
    numbers (`4242 4242 4242 4242`) and repeated digits count only in a table (a
    `card_number` column is a card column whatever its values); columns of plain digit
    runs that mostly fail Luhn (ids, timestamps) are not reported. Each output line
    with matches is one finding (at most 20 per output).

    ## Why is this bad?
    Card numbers are regulated data (PCI DSS): they must not be stored in clear text
    outside a compliant system, and a notebook output is clear text that is copied to
    Git, shared drives and rendered previews.

    ## Example
    ```python
    transactions.sample(5)   # the saved output shows the card_number column
    ```

    Use instead:
    ```python
    transactions.assign(card_number=transactions.card_number.str[-4:]).sample(5)
    ```

    ## References
    - [CWE-359: Exposure of Private Personal Information to an Unauthorized Actor](https://cwe.mitre.org/data/definitions/359.html)
    - [PCI DSS requirement 3: protect stored account data](https://www.pcisecuritystandards.org/)
    """

    code = "NBG703"
    name = "payment-card-in-output"
    category = "data-exposure"
    severity = Severity.HIGH
    cwe = 359
    peers = ()
    fix = "show only the last four digits (or a token), and clear the outputs that show card numbers"
    texts = frozenset({"output"})

    def check_text(self, text, ctx) -> None:
        report_found(self, ctx, text, find_cards, "payment card number")
