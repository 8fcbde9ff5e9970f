"""The DRG catalogue in memory: codes, split patterns, reference costs and case mix as arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Catalogue:
    """DRG codes with their ADRG, split pattern, reference cost, LOS and ADRG case mix."""

    drg: np.ndarray  # object/str [G] codes
    mdc: np.ndarray  # str [G]
    adrg: np.ndarray  # str [A] ADRG codes (sorted, unique)
    adrg_type: np.ndarray  # str [A]
    drg_adrg: np.ndarray  # int32 [G] index into adrg
    suffix: np.ndarray  # str [G] severity digit as in the code
    names: np.ndarray  # str [G]
    group_table: np.ndarray  # int32 [A, 3]: billed DRG for true severity MCC, CC, none
    ref_cost: np.ndarray  # float64 [G] reference mean cost, yuan
    mean_los: np.ndarray  # float64 [G] days
    stable: np.ndarray  # bool [G]
    adrg_share: np.ndarray  # float64 [A] share of cases (sums to 1)
    p_mcc: np.ndarray  # float64 [A]
    p_cc: np.ndarray  # float64 [A]
    source: str  # "builtin" or the path

    @property
    def n_drg(self) -> int:
        """Number of DRGs."""
        return len(self.drg)

    @property
    def n_adrg(self) -> int:
        """Number of ADRGs."""
        return len(self.adrg)

    def group_probs(self) -> np.ndarray:
        """Probability [G] that a case is billed to each DRG, from ADRG shares and severity mix."""
        sev = np.stack([self.p_mcc, self.p_cc, 1.0 - self.p_mcc - self.p_cc], axis=1)
        prob = np.zeros(self.n_drg)
        np.add.at(prob, self.group_table.ravel(), (self.adrg_share[:, None] * sev).ravel())
        return prob

    def mean_cost(self) -> float:
        """Case-weighted mean reference cost ā implied by the shares and severity mix."""
        return float(np.dot(self.group_probs(), self.ref_cost))

    def rw(self) -> np.ndarray:
        """Relative weights ref_cost / ā (case-weighted mean 1)."""
        return self.ref_cost / self.mean_cost()

    def upcode_target(self) -> np.ndarray:
        """DRG one severity level up inside its ADRG (5→3, 3→1, 5→1 where no 3), or itself."""
        out = np.arange(self.n_drg, dtype=np.int32)
        for mcc, cc, none in self.group_table:
            if cc != none:
                out[none], out[cc] = cc, mcc
            else:
                out[none] = mcc
        return out


def severity_map(suffixes: set[str]) -> tuple[str, str, str]:
    """Suffix billed for a true MCC, CC and no-complication case in an ADRG with these suffixes.

    Let L (least severe) be 5 if present, else 9, else the highest of 3/1, else the lowest suffix.
    MCC -> 1, else 3, else L; CC -> 3, else L; none -> L. This gives the national rules for
    {1,3,5}, {3,5}, {1,5}, {9}; other local digits (0 = age/robot, 7, 8 ...) are never billed.
    """
    if "5" in suffixes:
        low = "5"
    elif "9" in suffixes:
        low = "9"
    elif suffixes & {"1", "3"}:
        low = max(suffixes & {"1", "3"})
    else:
        low = min(suffixes)
    mcc = "1" if "1" in suffixes else "3" if "3" in suffixes else low
    cc = "3" if "3" in suffixes else low
    return mcc, cc, low
