from __future__ import annotations

from ...model import Severity
from .._pii import find_ssns, report_found
from ..base import Rule


class SsnInOutput(Rule):
    """## What it does
    Finds US social security numbers (`123-45-6789` form) saved in cell outputs. A
    match must be a valid SSN: area 001-899 but not 666, group 01-99, serial
    0001-9999. The well-known sample numbers (`078-05-1120`, `123-45-6789`) count only
    in a table (a column of SSNs is one whatever its values). Dates, version strings
    and ids joined by other dashes are not matched. Each output line with matches is
    one finding (at most 20 per output).

    ## Why is this bad?
    An SSN is the key to a person's credit and tax records. Printed in an output
    (`df.head()`, a failed row in a traceback), it is saved in the `.ipynb` and
    published wherever the notebook goes.

    ## Example
    ```python
    patients.head()   # the saved output shows an ssn column
    ```

    Use instead:
    ```python
    patients.assign(ssn="***-**-" + patients.ssn.str[-4:]).head()
    ```

    ## References
    - [CWE-359: Exposure of Private Personal Information to an Unauthorized Actor](https://cwe.mitre.org/data/definitions/359.html)
    - [SSA: Social Security number randomization](https://www.ssa.gov/employer/randomization.html)
    """

    code = "NBG702"
    name = "ssn-in-output"
    category = "data-exposure"
    severity = Severity.HIGH
    cwe = 359
    peers = ()
    fix = "mask or drop the SSN column before displaying, and clear the outputs that show it"
    texts = frozenset({"output"})

    def check_text(self, text, ctx) -> None:
        report_found(self, ctx, text, find_ssns, "social security number", needle="-")
