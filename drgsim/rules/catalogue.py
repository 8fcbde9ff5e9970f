"""The DRG catalogue in memory: codes, split patterns, reference costs and case mix as arrays."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from drgsim.errors import DrgsimError


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
    group_table: np.ndarray  # int32 [A, L]: billed DRG per true level (MCC, CC, none, local…)
    ref_cost: np.ndarray  # float64 [G] reference mean cost, yuan
    mean_los: np.ndarray  # float64 [G] days
    stable: np.ndarray  # bool [G]
    adrg_share: np.ndarray  # float64 [A] share of cases (sums to 1)
    level_prob: np.ndarray  # float64 [A, L] probability of each true level (rows sum to 1)
    source: str  # "builtin" or the path
    _derived: dict[str, tuple[np.ndarray, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def derived(
        self, name: str, build: Callable[[], tuple[np.ndarray, ...]]
    ) -> tuple[np.ndarray, ...]:
        """Arrays built from this catalogue once, read-only: `build()` on the first call."""
        if name not in self._derived:
            arrays = build()
            for a in arrays:
                a.setflags(write=False)
            self._derived[name] = arrays
        return self._derived[name]

    @property
    def n_drg(self) -> int:
        """Number of DRGs."""
        return len(self.drg)

    @property
    def n_adrg(self) -> int:
        """Number of ADRGs."""
        return len(self.adrg)

    def group_probs(self, adrg_share: np.ndarray | None = None) -> np.ndarray:
        """Probability [G] that a case is billed to each DRG, from ADRG shares (the
        catalogue's, or a case mix's) and the level mix."""
        share = self.adrg_share if adrg_share is None else adrg_share
        prob = np.zeros(self.n_drg)
        np.add.at(prob, self.group_table.ravel(), (share[:, None] * self.level_prob).ravel())
        return prob

    def drg_level(self) -> np.ndarray:
        """The true level [G] that bills each DRG: its suffix's level where that level bills it,
        else the highest of MCC, CC, none that does, else its own local level."""
        return self.derived("drg_level", lambda: (self._drg_level(),))[0]

    def _drg_level(self) -> np.ndarray:
        level = np.full(self.n_drg, -1, dtype=np.int8)
        for row in self.group_table:
            for k, g in enumerate(row):
                if k < 3 or level[g] < 0:
                    level[g] = k
        for g, sfx in enumerate(self.suffix):
            own = SUFFIX_LEVEL.get(str(sfx), -1)
            if own >= 0 and self.group_table[self.drg_adrg[g], own] == g:
                level[g] = own
        return level

    def mean_cost(self) -> float:
        """Case-weighted mean reference cost ā implied by the shares and severity mix."""
        return float(np.dot(self.group_probs(), self.ref_cost))

    def rw(self) -> np.ndarray:
        """Relative weights ref_cost / ā (case-weighted mean 1)."""
        return self.ref_cost / self.mean_cost()

    def upcode_target(self) -> np.ndarray:
        """DRG one severity level up inside its ADRG (5→3, 3→1, 5→1 where no 3), or itself.

        A local suffix's DRG (a level of its own) has no level above it and stays itself.
        """
        return self.derived("upcode_target", lambda: (self._upcode_target(),))[0]

    def _upcode_target(self) -> np.ndarray:
        out = np.arange(self.n_drg, dtype=np.int32)
        for mcc, cc, none in self.group_table[:, :3]:
            if cc != none:
                out[none], out[cc] = cc, mcc
            else:
                out[none] = mcc
        return out


#: National suffixes and the true severity level they bill: 1 MCC → 0, 3 CC → 1, 5 none → 2.
SUFFIX_LEVEL = {"1": 0, "3": 1, "5": 2}


def severity_map(suffixes: set[str]) -> tuple[str, str, str]:
    """Suffix billed for a true MCC, CC and no-complication case in an ADRG with these suffixes.

    Let L (least severe) be 5 if present, else 9, else the highest of 3/1, else the lowest suffix.
    MCC -> 1, else 3, else L; CC -> 3, else L; none -> L. This gives the national rules for
    {1,3,5}, {3,5}, {1,5}, {9}; other local digits (0 = age/robot, 7, 8 ...) are levels of
    their own (`split_levels`).
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


def split_levels(
    suffix: np.ndarray,
    drg_adrg: np.ndarray,
    p_mcc: np.ndarray,
    p_cc: np.ndarray,
    case_share: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each ADRG's billed DRG per true level and the levels' probabilities (group_table, level_prob).

    Levels 0–2 are MCC, CC and none by `severity_map`; every other code of the ADRG (a local
    suffix such as Zhejiang's 0 or 9-with-ICU) is a level of its own, in suffix order. A local
    level's probability is the code's share of its ADRG's `case_share`, or, without shares,
    1 / (the ADRG's number of codes); MCC and CC take p_mcc and p_cc of the rest, none the
    remainder. Rows shorter than the longest are padded with the none code at probability 0.
    """
    n_adrg = len(p_mcc)
    codes: list[list[int]] = []
    local: list[list[float]] = []
    for a in range(n_adrg):
        rows = np.flatnonzero(drg_adrg == a)
        by_suffix = {str(suffix[r]): int(r) for r in rows[::-1]}  # first row wins a repeat
        national = [by_suffix[s] for s in severity_map(set(by_suffix))]
        others = sorted((r for r in rows if r not in national), key=lambda r: (str(suffix[r]), r))
        if case_share is None:
            shares = [1.0 / len(rows)] * len(others)
        else:
            total = float(case_share[rows].sum())
            shares = [float(case_share[r]) / total if total > 0 else 0.0 for r in others]
        codes.append(national + [int(r) for r in others])
        local.append(shares)
    width = max(len(c) for c in codes) if codes else 3
    table = np.zeros((n_adrg, width), dtype=np.int32)
    prob = np.zeros((n_adrg, width))
    for a in range(n_adrg):
        rest = 1.0 - sum(local[a])
        mcc, cc = rest * p_mcc[a], rest * p_cc[a]
        table[a] = codes[a] + [codes[a][2]] * (width - len(codes[a]))
        prob[a, : len(codes[a])] = [mcc, cc, 1.0 - mcc - cc - sum(local[a]), *local[a]]
    return table, prob


def drg_mask(cat: Catalogue, codes: tuple[str, ...], key: str) -> np.ndarray:
    """Which DRGs a list of DRG or ADRG codes names (an ADRG names all its DRGs).

    A code that is neither a DRG nor an ADRG of the catalogue is refused in one line naming
    `key`, the code and the catalogue.
    """
    drg_index = {str(c): i for i, c in enumerate(cat.drg)}
    adrg_index = {str(a): i for i, a in enumerate(cat.adrg)}
    mask = np.zeros(cat.n_drg, dtype=bool)
    for i, code in enumerate(codes):
        if code in drg_index:
            mask[drg_index[code]] = True
        elif code in adrg_index:
            mask |= cat.drg_adrg == adrg_index[code]
        else:
            raise _unknown_code(key, i, code, "a DRG or ADRG", cat)
    return mask


def adrg_mask(cat: Catalogue, codes: tuple[str, ...], key: str) -> np.ndarray:
    """Which ADRGs a list of ADRG codes names; an unknown code is refused in one line."""
    adrg_index = {str(a): i for i, a in enumerate(cat.adrg)}
    mask = np.zeros(cat.n_adrg, dtype=bool)
    for i, code in enumerate(codes):
        if code not in adrg_index:
            raise _unknown_code(key, i, code, "an ADRG", cat)
        mask[adrg_index[code]] = True
    return mask


def _unknown_code(key: str, i: int, code: str, kind: str, cat: Catalogue) -> DrgsimError:
    return DrgsimError(
        f"{key}.{i}: got {code!r}; allowed: {kind} code of the catalogue ({cat.source})"
    )
