"""The year's money at year end: the reserve's use, the point-value floor and ceiling (spec §3).

The year-end settlement shares `money_fen` among the hospitals; this module decides how much
that is and where the rest of the budget stays: the reserve kept, the ceiling's surplus, and
what of them clearing's overrun sharing spends (spec §6).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from drgsim.rules.money import to_fen


@dataclass(frozen=True)
class YearMoney:
    """What the year end settles, and how much of the reserve it spends or leaves (whole fen)."""

    money_fen: int  # shared at year end: available + released + floor top-up − ceiling surplus
    released_fen: int  # reserve paid out with the year's money
    topup_fen: int  # reserve spent lifting the point value to the floor
    surplus_fen: int  # money the ceiling leaves with the fund (结余)
    kept_fen: int  # reserve neither released nor spent on the floor

    held_back_fen: int  # reserve the ceiling kept from release (part of the surplus)
    reference_pv: float  # PV_ref, against which the floor and ceiling were set
    overrun_reserve_fen: int = 0  # reserve spent on clearing's overrun sharing (spec §6)

    def surplus_from_budget_fen(self) -> int:
        """The part of the ceiling's surplus taken from the available budget."""
        return self.surplus_fen - self.held_back_fen

    def spare_fen(self, reserve_use: str) -> int:
        """What the fund keeps besides the year's unpaid money that overrun sharing may spend.

        Spec §6: the surplus, and the reserve unless it was released — read with §3: the reserve
        kept under `cover` (spent only on the floor and on overrun sharing), not under `keep`
        (retained by the fund) nor `release` (already in the year's money).
        """
        return self.surplus_fen + (self.kept_fen if reserve_use == "cover" else 0)

    def spend_on_overrun(self, amount_fen: int, reserve_use: str) -> YearMoney:
        """This money after `amount_fen` of overrun sharing beyond the year's unpaid money.

        Taken from the ceiling surplus (its part from the budget, then the reserve it held back),
        then from the reserve kept under `cover`; never more than `spare_fen`.
        """
        if not 0 <= amount_fen <= self.spare_fen(reserve_use):
            raise ValueError(f"overrun of {amount_fen} fen beyond what the fund can spare")
        from_budget = min(amount_fen, self.surplus_from_budget_fen())
        from_held = min(amount_fen - from_budget, self.held_back_fen)
        from_kept = amount_fen - from_budget - from_held
        return replace(
            self,
            surplus_fen=self.surplus_fen - from_budget - from_held,
            held_back_fen=self.held_back_fen - from_held,
            kept_fen=self.kept_fen - from_kept,
            overrun_reserve_fen=self.overrun_reserve_fen + from_held + from_kept,
        )


def money_for_points(pv: float, points: float, oop_yuan: float) -> int:
    """The fund's money that prices `points` at point value `pv` (spec §3), in whole fen."""
    return int(to_fen(pv * points - oop_yuan))


def year_money(
    available_fen: int,
    reserve_fen: int,
    reserve_use: str,
    points: float,
    oop_yuan: float,
    reference_pv: float,
    floor: float | None,
    ceiling: float | None,
    surplus_limit_fen: int,
) -> YearMoney:
    """The year-end money of spec §3 from the available budget, the reserve and PV_ref.

    `release` adds the reserve to the year's money; the ceiling (ceiling × PV_ref) then takes
    back what prices the points above it, first from the reserve not yet paid out, at most
    `surplus_limit_fen` (what is still unpaid at year end) and never more than the money; the floor (floor × PV_ref) adds
    reserve money, only under `cover` and as far as the reserve goes.
    """
    planned = reserve_fen if reserve_use == "release" else 0
    money = available_fen + planned
    surplus = topup = 0
    if points > 0 and np.isfinite(reference_pv) and reference_pv > 0:
        if ceiling is not None:
            capped = money_for_points(ceiling * reference_pv, points, oop_yuan)
            surplus = max(0, min(money - capped, surplus_limit_fen, money))
        if floor is not None and surplus == 0 and reserve_use == "cover":
            lifted = money_for_points(floor * reference_pv, points, oop_yuan)
            topup = max(0, min(lifted - money, reserve_fen))
    released = planned - min(surplus, planned)
    return YearMoney(
        money_fen=money - surplus + topup,
        released_fen=released,
        topup_fen=topup,
        surplus_fen=surplus,
        kept_fen=reserve_fen - planned - topup,
        held_back_fen=planned - released,
        reference_pv=reference_pv,
    )
