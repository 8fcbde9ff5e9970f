"""Reproducible synthetic DRG catalogue with the structure of CHS-DRG 1.1, costs and case mix."""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pandas as pd

from drgsim.rules.catalogue import severity_map

CODE_COLUMNS = ["drg", "mdc", "adrg", "adrg_type", "suffix", "severity", "name"]
TYPES = ("surgical", "procedure", "medical")
CLASS_LETTERS = {"surgical": "ABCDEFGHIJ", "procedure": "KLMNOPQ", "medical": "RSTUVWXYZ"}
TYPE_CN = {"surgical": "手术", "procedure": "操作", "medical": "内科"}
SEVERITY_OF = {"1": "MCC", "3": "CC", "5": "none", "9": "unsplit"}
SEVERITY_CN = {
    "1": " 伴严重并发症或合并症",
    "3": " 伴并发症或合并症",
    "5": " 不伴并发症或合并症",
    "9": "",
}

# CHS-DRG 1.1 structure: ADRGs per MDC (A..Z), and a type x split-pattern table whose margins
# are the published counts (ADRG 166/24/186, DRG 235/34/359, patterns 192/68/61/55).
ADRG_PER_MDC = [9, 29, 16, 22, 20, 41, 23, 18, 30, 18, 12, 18, 8, 12, 13, 11, 8, 19, 7, 10, 2,
                8, 5, 9, 3, 5]  # fmt: skip
PATTERNS_BY_TYPE = {
    "surgical": {"9": 115, "135": 18, "35": 17, "15": 16},
    "procedure": {"9": 16, "135": 2, "35": 3, "15": 3},
    "medical": {"9": 61, "135": 48, "35": 41, "15": 36},
}
PRE_MDC_ADRGS = 9  # MDC A: all surgical and unsplit (transplants, ECMO)

# True-severity mix of cases inside every ADRG, and cost multipliers per true severity.
P_MCC, P_CC = 0.12, 0.25
SEV_MULT = (1.6, 1.2, 0.85)
TYPE_MEDIAN_RW = {"surgical": 2.0, "procedure": 1.2, "medical": 0.7}
RW_SIGMA, RW_MIN, RW_MAX = 0.6, 0.15, 40.0
#: Case-weighted mean length of stay of the catalogue: hospital stays, NHC 2023 bulletin [C].
MEAN_LOS_DAYS = 8.8
LOS_MIN, LOS_MAX = 1.0, 60.0
PRE_MDC_RW = (15.0, 40.0)


def synth_code_list(seed: int = 11) -> pd.DataFrame:
    """Synthetic code list with exactly the MDC, ADRG, type, split-pattern and DRG counts of 1.1."""
    rng = np.random.default_rng(seed)
    n_rest = sum(ADRG_PER_MDC) - PRE_MDC_ADRGS
    type_counts = {t: sum(PATTERNS_BY_TYPE[t].values()) for t in TYPES}
    type_counts["surgical"] -= PRE_MDC_ADRGS
    pool = np.array([t for t in TYPES for _ in range(type_counts[t])], dtype=object)
    assert len(pool) == n_rest
    pool = pool[rng.permutation(n_rest)]
    types_by_mdc: list[list[str]] = [["surgical"] * PRE_MDC_ADRGS]
    start = 0
    for n in ADRG_PER_MDC[1:]:
        types_by_mdc.append(sorted(pool[start : start + n], key=TYPES.index))
        start += n
    adrgs: list[tuple[str, str, str]] = []
    for mdc, types in zip(string.ascii_uppercase, types_by_mdc, strict=True):
        seen = dict.fromkeys(TYPES, 0)
        for t in types:
            k, letters = seen[t], CLASS_LETTERS[t]
            adrgs.append((mdc, f"{mdc}{letters[k % len(letters)]}{k // len(letters) + 1}", t))
            seen[t] += 1
    patterns: dict[str, str] = {a: "9" for m, a, _ in adrgs if m == "A"}
    for t in TYPES:
        pats = [p for p, n in PATTERNS_BY_TYPE[t].items() for _ in range(n)]
        if t == "surgical":
            pats = pats[PRE_MDC_ADRGS:]  # the "9"s used by MDC A come first
        names = [a for m, a, ty in adrgs if ty == t and m != "A"]
        for a, i in zip(names, rng.permutation(len(pats)), strict=True):
            patterns[a] = pats[i]
    rows = []
    for mdc, adrg, t in adrgs:
        for s in patterns[adrg]:
            name = f"MDC{mdc} {TYPE_CN[t]}病组 {adrg}{SEVERITY_CN[s]}"
            rows.append((f"{adrg}{s}", mdc, adrg, t, s, SEVERITY_OF[s], name))
    return pd.DataFrame(rows, columns=CODE_COLUMNS).sort_values("drg", ignore_index=True)


def _synth(
    codes: pd.DataFrame, seed: int, mean_cost_yuan: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Costs, LOS and ADRG case mix for any code list; the case-weighted mean cost is exact."""
    rng = np.random.default_rng(seed)
    drg_adrg = codes["adrg"].astype(str).to_numpy()
    suffix = codes["suffix"].astype(str).to_numpy()
    first = codes.assign(adrg=drg_adrg).drop_duplicates("adrg").set_index("adrg")
    adrg = np.array(sorted(first.index), dtype=object)
    atype = first.loc[adrg, "adrg_type"].astype(str).to_numpy()
    pre = first.loc[adrg, "mdc"].astype(str).to_numpy() == "A"
    median = np.array([TYPE_MEDIAN_RW.get(t, 1.0) for t in atype])
    base = median * np.exp(rng.normal(0.0, RW_SIGMA, len(adrg)))
    lo, hi = np.log(PRE_MDC_RW)
    base[pre] = np.exp(rng.uniform(lo, hi, int(pre.sum())))
    share = base**-0.8 * np.exp(rng.normal(0.0, 0.5, len(adrg))) * np.where(pre, 0.05, 1.0)
    share /= share.sum()
    # Per-DRG probability of a case of its ADRG billing it, and its severity multiplier.
    aidx = np.searchsorted(adrg, drg_adrg)
    p_sev = np.array([P_MCC, P_CC, 1.0 - P_MCC - P_CC])
    prob, mult = np.zeros(len(codes)), np.ones(len(codes))
    for a in range(len(adrg)):
        rows = np.flatnonzero(aidx == a)
        sfx = suffix[rows]
        for sev, s in enumerate(severity_map(set(sfx))):
            r = rows[np.flatnonzero(sfx == s)[0]]
            prob[r] += p_sev[sev]
            mult[r] += p_sev[sev] * SEV_MULT[sev]
        billed = rows[prob[rows] > 0]
        mult[billed] = (mult[billed] - 1.0) / prob[billed]
        mult[rows] /= np.dot(prob[billed], mult[billed])
    raw = base[aidx] * mult
    case_w = share[aidx] * prob

    rw = _clipped_to_mean(raw, case_w, 1.0, RW_MIN, RW_MAX)
    rw /= np.dot(case_w, rw)
    # stays grow with the square root of the weight; scaled to the national mean stay
    shape = (3.0 + 4.0 * np.sqrt(rw)) * np.exp(rng.normal(0.0, 0.1, len(codes)))
    out = codes.copy()
    out["ref_mean_cost_yuan"] = rw * mean_cost_yuan
    out["mean_los_days"] = _clipped_to_mean(shape, case_w, MEAN_LOS_DAYS, LOS_MIN, LOS_MAX)
    mix = pd.DataFrame({"adrg": adrg, "share": share, "p_mcc": P_MCC, "p_cc": P_CC})
    return out, mix


def _clipped_to_mean(
    raw: np.ndarray, weight: np.ndarray, mean: float, lo: float, hi: float
) -> np.ndarray:
    """clip(scale × raw, lo, hi) with the scale that gives it `mean` under `weight`."""

    def mean_at(scale: float) -> float:
        return float(np.dot(weight, np.clip(scale * raw, lo, hi)))

    s_lo, s_hi = 1e-3, 1e3
    for _ in range(200):  # mean_at is monotone in the scale: bisect to machine precision
        mid = np.sqrt(s_lo * s_hi)
        s_lo, s_hi = (mid, s_hi) if mean_at(mid) < mean else (s_lo, mid)
    return np.clip(s_hi * raw, lo, hi)


def synth_costs(
    codes: pd.DataFrame, seed: int = 11, mean_cost_yuan: float = 7000.0
) -> pd.DataFrame:
    """Code list plus `ref_mean_cost_yuan`, `mean_los_days`; case-weighted mean cost is exact."""
    return _synth(codes, seed, mean_cost_yuan)[0]


def synth_case_mix(codes: pd.DataFrame, seed: int = 11) -> pd.DataFrame:
    """ADRG table `adrg, share, p_mcc, p_cc` matching `synth_costs` for the same codes and seed."""
    return _synth(codes, seed, 1.0)[1]


def csv_texts(seed: int = 11, mean_cost_yuan: float = 7000.0) -> tuple[str, str]:
    """Byte-reproducible text of data/catalogue.csv and data/case_mix.csv."""
    costs, mix = _synth(synth_code_list(seed), seed, mean_cost_yuan)
    costs["ref_mean_cost_yuan"] = costs["ref_mean_cost_yuan"].map("{:.4f}".format)
    costs["mean_los_days"] = costs["mean_los_days"].map("{:.2f}".format)
    mix["share"] = mix["share"].map("{:.15f}".format)
    mix["p_mcc"] = mix["p_mcc"].map("{:.4f}".format)
    mix["p_cc"] = mix["p_cc"].map("{:.4f}".format)
    return costs.to_csv(index=False, lineterminator="\n"), mix.to_csv(
        index=False, lineterminator="\n"
    )


def main(data_dir: str | Path | None = None) -> None:
    """Write data/catalogue.csv and data/case_mix.csv of the repository."""
    out = Path(data_dir) if data_dir else Path(__file__).resolve().parents[2] / "data"
    out.mkdir(parents=True, exist_ok=True)
    cat, mix = csv_texts()
    (out / "catalogue.csv").write_bytes(cat.encode("utf-8"))
    (out / "case_mix.csv").write_bytes(mix.encode("utf-8"))
    print(f"wrote {out / 'catalogue.csv'} and {out / 'case_mix.csv'}")


if __name__ == "__main__":
    main()
