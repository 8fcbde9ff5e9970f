"""The acts' one check of a month's cases before their kernels read them: lengths and indices.

numba does not check bounds, and each act kernel's front checks its own arguments; a month's
cases pass through several act kernels, so `Behaviours.apply` checks them once here and calls
those kernels without their fronts (`.compiled`). What the acts change stays in range by how it
is made: a moved case's hospital comes from the destination tables, an evading stay's ADRG from
the ADRG tables, an added case copies a checked case. The tables are checked when they are built
and each tariff once. A failed check is one line (`KernelInputError`): a bug upstream.
"""

from __future__ import annotations

import numpy as np

from drgsim.cases import COLUMNS, CaseBatch
from drgsim.kernels import checks
from drgsim.kernels.group import check_codes
from drgsim.kernels.rng import CASES
from drgsim.kernels.upcode import FIRST_PROCEDURE
from drgsim.rules.catalogue import Catalogue
from drgsim.rules.pricing import Rules, check_tables
from drgsim.rules.tariff import Tariff

NAME = "the month's cases (acts)"


def check_month(batch: CaseBatch, n_hosp: int, group_table: np.ndarray, n_drg: int) -> None:
    """Every column has the month's length; hospitals, case ids, the groupable cases' codes and
    the true DRGs lie in their tables."""
    checks.same_length(NAME, batch.n, **{k: getattr(batch, k) for k in COLUMNS})
    checks.index(NAME, "hospital", batch.hospital, 0, n_hosp, "the hospitals")
    checks.index(NAME, "case_id", batch.case_id, 0, CASES, "case numbers of the random draws")
    check_codes(batch.adrg, batch.billed_severity, batch.ungroupable, group_table, NAME)
    checks.index(NAME, "drg_true", batch.drg_true, -1, n_drg, "the catalogue's DRGs, -1 none")


def check_tariff_tables(tariff: Tariff, rules: Rules, n_hosp: int, cat: Catalogue) -> None:
    """A tariff not seen before, as the act kernels read it (`check_tables`)."""
    check_tables(NAME, cat, tariff, rules, n_hosp)


def check_act_tables(
    group_table: np.ndarray,
    n_drg: int,
    other_of: np.ndarray,
    other_cdf: np.ndarray,
    options: np.ndarray,
) -> None:
    """An evading split's ADRG table and the upcoding options (ADRG × level rows, the billed
    DRG and the level columns at least) index the catalogue's ADRGs and DRGs (-1 pads)."""
    n_adrg, width = group_table.shape
    checks.shape(NAME, "other_of", other_of, (n_adrg, None))
    checks.shape(NAME, "other_cdf", other_cdf, other_of.shape)
    checks.index(NAME, "other_of", other_of, -1, n_adrg, "the catalogue's ADRGs, -1 pads")
    checks.shape(NAME, "upcode options", options, (2, n_adrg, width, None))
    if options.shape[3] < FIRST_PROCEDURE:
        raise checks.KernelInputError(
            f"{NAME}: upcode options has {options.shape[3]} columns; expected at least "
            f"{FIRST_PROCEDURE}"
        )
    checks.index(NAME, "upcode options", options, -1, n_drg, "the catalogue's DRGs, -1 none")


def check_destinations(
    n_hosp: int, tier_cdf: np.ndarray, members: np.ndarray, member_cdf: np.ndarray
) -> None:
    """Shifting's destination tables: tier weights per hospital, and hospitals (-1 pads) with
    their cumulative volume shares per hospital and tier."""
    checks.shape(NAME, "tier_cdf", tier_cdf, (n_hosp, 3))
    checks.shape(NAME, "members", members, (n_hosp, 3, None))
    checks.shape(NAME, "member_cdf", member_cdf, members.shape)
    checks.index(NAME, "members", members, -1, n_hosp, "the hospitals, -1 pads")
