"""The insurer's one check of a month's claims before its kernels read them: lengths and indices.

numba does not check bounds, and each kernel's front checks its own arguments; a month's claims
pass through several kernels, so the insurer checks them once here and calls those kernels
without their fronts (`.compiled`). What the kernels index by is then in range: the claims'
hospitals, funds and case ids are checked here, the DRGs they are billed come from the
catalogue's group table (checked with the year's tariff) and their classes from the pricing
kernel. A failed check is one line (`KernelInputError`): a bug upstream, never a crash.
"""

from __future__ import annotations

from drgsim.cases import COLUMNS, CaseBatch
from drgsim.kernels import checks
from drgsim.kernels.rng import CASES
from drgsim.rules.catalogue import Catalogue
from drgsim.rules.pricing import Rules, check_tables
from drgsim.rules.tariff import Tariff

NAME = "the month's claims"


def check_year(cat: Catalogue, tariff: Tariff, rules: Rules, n_hosp: int) -> None:
    """The year's tariff and group table as the month's kernels read them (`check_tables`)."""
    check_tables(NAME, cat, tariff, rules, n_hosp)


def check_month(batch: CaseBatch, n_hosp: int, n_fund: int) -> None:
    """Every column has the month's length; hospitals, funds and case ids lie in their tables."""
    arrays = {k: getattr(batch, k) for k in COLUMNS}
    checks.same_length(NAME, batch.n, **arrays)
    checks.index(NAME, "hospital", batch.hospital, 0, n_hosp, "the hospitals")
    checks.index(NAME, "fund", batch.fund, 0, n_fund, "the funds")
    checks.index(NAME, "case_id", batch.case_id, 0, CASES, "case numbers of the random draws")
