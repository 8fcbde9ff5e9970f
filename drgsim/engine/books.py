"""A year's books: the ledger that opens with the budget, books each settlement's transfers, and closes."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from drgsim.rules.money import FUND, POOL, RESERVE, Ledger, Transfer
from drgsim.rules.settlement import YearResult


class YearBooks:
    """The ledger of one year: the fund holds the budget, the reserve is set aside at opening."""

    def __init__(self, year: int, budget_fen: int, reserve_fen: int, n_hosp: int) -> None:
        self.year, self.budget_fen, self.reserve_fen = year, budget_fen, reserve_fen
        self.ledger = Ledger({FUND: budget_fen}, n_hosp)
        self.ledger.book([Transfer.of(FUND, RESERVE, reserve_fen, "reserve 调剂金")])

    def book(self, transfers: Iterable[Transfer]) -> None:
        """Book a settlement's transfers as it made them."""
        self.ledger.book(transfers)

    def close(self, res: YearResult) -> int:
        """Check the year's books against its settlement; the fen the fund keeps (retained).

        Each hospital holds its final payment, the pool is empty, the reserve holds what was
        neither released nor spent on the floor or on overrun sharing, and paid + reserve kept + ceiling surplus +
        unpaid withholding + other retained is the budget, to the fen.
        """
        led, money = self.ledger, res.money
        led.check()
        paid = int(res.final_fen.sum())
        spent = money.released_fen + money.topup_fen + money.overrun_reserve_fen
        in_reserve = self.reserve_fen - spent
        wrong = []
        if not np.array_equal(led.hospitals, res.final_fen):
            wrong.append(f"hospitals hold {led.hospitals.tolist()}, final {res.final_fen.tolist()}")
        if led.held(POOL) != 0:
            wrong.append(f"{led.held(POOL)} fen left in the pool")
        if led.held(RESERVE) != in_reserve:
            wrong.append(f"reserve holds {led.held(RESERVE)}, not {in_reserve}")
        if led.held(FUND) + led.held(RESERVE) != res.retained_fen + money.kept_fen:
            wrong.append(f"fund holds {led.held(FUND)}, settlement retains {res.retained_fen}")
        parts = (paid, money.kept_fen, money.surplus_fen, res.unpaid_fen, res.other_fen)
        if sum(parts) != self.budget_fen or min(parts[1:]) < 0:
            wrong.append(
                "paid {} + reserve kept {} + ceiling surplus {} + unpaid withholding {} + "
                "other retained {} differs from the budget".format(*parts)
            )
        if wrong:
            raise AssertionError(f"year {self.year}: the books do not close: " + "; ".join(wrong))
        return res.retained_fen
