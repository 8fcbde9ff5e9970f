"""The act registry: every hospital act of spec §8 named once, with what the rules need of it.

Adding an act is one row here, its parameters under `Behaviour` in drgsim/scenario/schema.py
(a field named like the row) and its transform in drgsim/population/behaviour.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: What an audit does to a claim on which it confirms the act (spec §5): reprice it at its true
#: DRG and deduct penalty × the point difference; void it (0 points) and deduct penalty × its
#: points; or only count it as a violation.
Caught = Literal["reprice", "void", "count"]

#: How an act's yearly gain to its hospital's margin is counted, for adaptation (spec §8; points
#: at the year's point value, a case's variable cost = cost.variable_share × its charges):
#: `upcoded_points` points above what the true DRG earns, less deductions; `split_stays` the
#: second stays' points less deductions, less what their first stays lose to the readmission
#: rule; `net_points` the act's cases' points less deductions; `net_points_less_cost` the same
#: less their variable cost; `saved_cost` the variable cost the act saved when it was done
#: (cases refused, charges cut) less the points it gave up.
Gain = Literal["upcoded_points", "split_stays", "net_points", "net_points_less_cost", "saved_cost"]


@dataclass(frozen=True)
class ActSpec:
    """One act: its name, its bit on a case, how the audit treats it and how its gain counts."""

    name: str  # its scenario key (hospitals.<id>.<name>), settlement column rate_<name>, label
    bit: int  # its bit in a case's `acts` column
    audit_key: (
        str | None
    )  # its key in audit.detection and audit.penalty (its name); None: never found
    caught: Caught | None  # what a confirmed claim suffers (None: the audit cannot find it)
    gain: Gain | None  # how its gain is counted; None: the act does not adapt
    needs: str | None = None  # a key of the act that must be above 0 for the act to be done
    borne: bool = True  # whether its hospital bears the cost of its cases (phantom: billed only)

    @property
    def penalty_key(self) -> str | None:
        """Its key in audit.penalty, or None when a confirmed act costs no points."""
        return self.audit_key if self.caught in ("reprice", "void") else None


#: Every act, in the order the audit numbers its draws and the tables list them.
ACTS: tuple[ActSpec, ...] = (
    ActSpec("upcoding", 1, "upcoding", "reprice", "upcoded_points"),
    ActSpec("shifting", 2, None, None, "saved_cost"),
    ActSpec("splitting", 4, "splitting", "void", "split_stays"),
    ActSpec("induced", 8, None, None, "net_points_less_cost"),
    ActSpec("phantom", 16, "phantom", "void", "net_points", borne=False),
    ActSpec("underservice", 32, "underservice", "count", "saved_cost", needs="cut"),
    ActSpec("referral_down", 64, None, None, None),
)
ACT = {a.name: a for a in ACTS}
#: Bits of the acts whose cases cost their hospital nothing (their cost is billed, not borne).
UNBORNE_BITS = sum(a.bit for a in ACTS if not a.borne)
#: Bits of the acts that bill a case under another DRG than its true one (repriced if caught).
RECODED_BITS = sum(a.bit for a in ACTS if a.caught == "reprice")
#: The acts an audit can confirm.
AUDITED = tuple(a for a in ACTS if a.audit_key is not None)
#: Old names of acts in audit.detection, audit.penalty and audit.screening.recall, read as the
#: act's name: scenario files written before the tables took the registry's names keep working.
OLD_AUDIT_KEYS = {"split": "splitting"}
#: Allowed keys of audit.detection and of audit.penalty.
DETECTION_KEYS = tuple(a.audit_key for a in AUDITED if a.audit_key is not None)
PENALTY_KEYS = tuple(a.penalty_key for a in AUDITED if a.penalty_key is not None)
