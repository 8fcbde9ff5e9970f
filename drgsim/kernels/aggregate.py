"""Kernels that sum a month's claims (per fund × hospital, per DRG cell, per case class) in one pass."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.grouping import number_marked
from drgsim.kernels.jit import kernel

#: Columns of the per-hospital sums.
SUM_COLUMNS = (
    "cases",
    "points",
    "oop",
    "true_cost",
    "deducted",
    "audited",
    "caught",
    "high",
    "grouped",
    "rw",
    "charges",
)
#: Columns of the per-cell sums.
CELL_COLUMNS = ("n", "cost", "los")


#: Independent partial sums per group, so consecutive rows of one group do not wait on each
#: other's additions; they are added up in a fixed order, so results never vary.
LANES = 4  # a power of two


def _check_month_totals(
    fund, hospital, drg, klass, points, readmit, factor, oop, cost, los, deducted, audited,
    caught, acts, unborne_bits, rw, high_rw, n_fund, n_hosp, n_classes,
):  # fmt: skip
    """The claims' arrays have one length; funds, hospitals, DRGs and classes index the sums."""
    name = "month_totals"
    checks.same_length(
        name,
        hospital.shape[0],
        fund=fund,
        drg=drg,
        klass=klass,
        points=points,
        readmit=readmit,
        oop=oop,
        cost=cost,
        los=los,
        deducted=deducted,
        audited=audited,
        caught=caught,
        acts=acts,
    )
    checks.shape(name, "rw", rw, (None,))
    checks.index(name, "fund", fund, 0, n_fund, "the funds")
    checks.index(name, "hospital", hospital, 0, n_hosp, "the hospitals")
    checks.index(name, "drg", drg, -1, rw.shape[0], "the DRGs of rw, -1 ungroupable")
    checks.index(name, "klass", klass, 0, n_classes, "the case classes")


@checks.front(_check_month_totals)
@kernel
def month_totals(
    fund, hospital, drg, klass, points, readmit, factor, oop, cost, los, deducted, audited,
    caught, acts, unborne_bits, rw, high_rw, n_fund, n_hosp, n_classes,
):  # fmt: skip  # pragma: no cover - jitted
    """A month's claims summed in one call: each claim's final points, the month's settlement
    sums, the year's per-row and per-cell sums and each hospital's claims per case class.

    Rows are fund × n_hosp + hospital. A claim's final points are `points`, × `factor` if it is
    the earlier stay of a readmission. `month` [rows, 2] holds Σ final points and Σ `oop`, each
    added in LANES partial sums (claim j in lane j mod LANES), then lanes 0 + 1 + 2 + 3.
    `sums` [rows, SUM_COLUMNS] are added in claim order, as are each fund's sums of a
    (hospital, DRG) cell; `cell_keys` lists the cells with claims (hospital × G + DRG, in order
    of their first claim) and `cell_sums` [cells, CELL_COLUMNS] their sums over the funds, fund
    0 + 1 + …. An ungroupable claim (drg < 0) counts in its row but in no cell; the cost of a
    claim carrying an act of `unborne_bits` is billed, not borne: it adds to the charges only.
    """
    n = hospital.shape[0]
    n_drg = rw.shape[0]
    n_rows = n_fund * n_hosp
    final = np.empty(n)
    lanes = np.zeros((LANES, n_rows, 2))
    sums = np.zeros((n_rows, 11))
    classes = np.zeros((n_hosp, n_classes), np.int64)
    # the cells with claims, numbered in order of their first claim (a month touches few of them)
    n_cells = n_hosp * n_drg
    slot = np.full(n_cells, -1, np.int32)
    at = np.empty(n, np.int32)
    # a claim's cell numbered without a branch on whether it is new (a third of a month's
    # claims open a cell, at random): every store made, the count moved on by a new one only
    cell_keys = np.empty(min(n, n_cells) + 1, np.int64)
    k = 0
    for j in range(n):
        if drg[j] >= 0:
            cell = np.uint64(np.int64(hospital[j]) * n_drg + drg[j])
            i = slot[cell]
            fresh = i < 0
            i = np.int32(k) if fresh else i
            slot[cell] = i
            cell_keys[np.uint64(k)] = cell  # kept only where the cell is new (k then moves on)
            k += fresh
            at[j] = i
    by_fund = np.zeros((k, n_fund, 3))
    for j in range(n):
        if drg[j] >= 0:
            i, fu = np.uint64(at[j]), np.uint64(fund[j])
            by_fund[i, fu, 0] += 1.0
            by_fund[i, fu, 1] += cost[j]
            by_fund[i, fu, 2] += los[j]
    # each claim added straight into its row's sums, a claim adding +0.0 where it does not
    # count (a sum from +0.0 is never -0.0, so adding +0.0 leaves it as it is, bit for bit).
    # A row's sums carried in locals while its claims came one after another were reloaded
    # at every change of fund or hospital: a third of a month's claims, most of a gaming one's.
    # (Arrays are indexed by unsigned numbers where the index is not the loop's: no code for a
    # negative index counted from the end, 10 % of this kernel's time.)
    for j in range(n):
        r = np.uint64(fund[j] * n_hosp + hospital[j])
        f = points[j] * factor if readmit[j] else points[j]
        final[j] = f
        lane = np.uint64(j & (LANES - 1))
        lanes[lane, r, 0] += f
        lanes[lane, r, 1] += oop[j]
        sums[r, 0] += 1.0
        sums[r, 1] += f
        sums[r, 2] += oop[j]
        sums[r, 3] += cost[j] if (acts[j] & unborne_bits) == 0 else 0.0
        sums[r, 4] += deducted[j]
        sums[r, 5] += 1.0 if audited[j] else 0.0
        sums[r, 6] += 1.0 if caught[j] != 0 else 0.0
        g = drg[j]
        w = rw[np.uint64(g)] if g >= 0 else 0.0
        sums[r, 7] += 1.0 if g >= 0 and w >= high_rw else 0.0
        sums[r, 8] += 1.0 if g >= 0 else 0.0
        sums[r, 9] += w
        sums[r, 10] += cost[j]
    for j in range(n):  # (in a loop of its own: in the one above it cost several times more)
        classes[np.uint64(hospital[j]), np.uint64(klass[j])] += 1
    month = lanes[0].copy()
    for lane in range(1, LANES):
        month += lanes[lane]
    cell_sums = by_fund[:, 0, :].copy()
    for f in range(1, n_fund):
        cell_sums += by_fund[:, f, :]
    return final, month, sums, cell_keys[:k].copy(), cell_sums, classes


#: The rows of `risk_counts`, by position.
RISK_COUNTS = ("claims", "rw", "grouped", "low_cost", "screened")


def _check_risk_counts(hospital, drg, klass, screened, rw, low_class, n_hosp):
    """The claims' arrays have one length; hospitals and DRGs index the counts and `rw`."""
    name = "risk_counts"
    checks.same_length(name, hospital.shape[0], drg=drg, klass=klass, screened=screened)
    checks.shape(name, "rw", rw, (None,))
    checks.index(name, "hospital", hospital, 0, n_hosp, "the hospitals")
    checks.index(name, "drg", drg, -1, rw.shape[0], "the DRGs of rw, -1 ungroupable")


@checks.front(_check_risk_counts)
@kernel
def risk_counts(hospital, drg, klass, screened, rw, low_class, n_hosp):  # pragma: no cover - jitted
    """Per hospital, the RISK_COUNTS [5, n_hosp] of a month's claims, added in claim order:
    claims, Σ `rw` of the billed DRGs of grouped claims (drg ≥ 0), grouped claims, claims of
    class `low_class` and `screened` claims."""
    out = np.zeros((len(RISK_COUNTS), n_hosp))
    # a hospital's counts carried in locals while its claims come one after another (as
    # month_totals' sums): the same additions in the same order
    cur = -1
    c0 = c1 = c2 = c3 = c4 = 0.0
    for j in range(hospital.shape[0]):
        h = hospital[j]
        if h != cur:
            if cur >= 0:
                out[0, cur], out[1, cur], out[2, cur], out[3, cur], out[4, cur] = c0, c1, c2, c3, c4
            cur = h
            c0, c1, c2, c3, c4 = out[0, h], out[1, h], out[2, h], out[3, h], out[4, h]
        c0 += 1.0
        if drg[j] >= 0:
            c1 += rw[drg[j]]
            c2 += 1.0
        if klass[j] == low_class:
            c3 += 1.0
        if screened[j]:
            c4 += 1.0
    if cur >= 0:
        out[0, cur], out[1, cur], out[2, cur], out[3, cur], out[4, cur] = c0, c1, c2, c3, c4
    return out


#: The columns of a DRG cell's sums (engine.drg_totals.DRG_COLUMNS), by position.
DRG_CELL_COLUMNS = 6


def _check_drg_cell_sums(
    fund, hospital, drg, acts, cost, oop, points, readmit, deducted, factor, unborne_bits,
    n_fund, n_hosp, n_drg,
):  # fmt: skip
    """The claims' arrays have one length; funds, hospitals and DRGs lie in their tables."""
    name = "drg_cell_sums"
    checks.same_length(
        name,
        hospital.shape[0],
        fund=fund,
        drg=drg,
        acts=acts,
        cost=cost,
        oop=oop,
        points=points,
        readmit=readmit,
        deducted=deducted,
    )
    checks.index(name, "fund", fund, 0, n_fund, "the funds")
    checks.index(name, "hospital", hospital, 0, n_hosp, "the hospitals")
    checks.index(name, "drg", drg, -1, n_drg, "the DRGs, -1 ungroupable")


@checks.front(_check_drg_cell_sums)
@kernel
def drg_cell_sums(
    fund, hospital, drg, acts, cost, oop, points, readmit, deducted, factor, unborne_bits,
    n_fund, n_hosp, n_drg,
):  # fmt: skip  # pragma: no cover - jitted
    """The cells a month's claims fall in, in order of their first claim, and each one's sums.

    A claim's cell is (fund × n_hosp + hospital) × (n_drg + 1) + its DRG, n_drg if ungroupable.
    Each cell's sums [cells, 6], added in claim order: claims, charges (`cost`), charges borne
    (`cost` unless the claim carries an act of `unborne_bits`), `oop`, final points (`points`,
    × `factor` for the earlier stay of a readmission) and `deducted`.
    """
    n = hospital.shape[0]
    n_cells = n_fund * n_hosp * (n_drg + 1)
    slot = np.full(n_cells, -1, np.int32)  # each cell's row in the sums, once it has a claim
    at = np.empty(n, np.int32)
    keys = np.empty(min(n, n_cells) + 1, np.int64)
    k = 0
    for j in range(n):  # numbered without a branch on a new cell (as month_totals' cells)
        g = drg[j] if drg[j] >= 0 else n_drg
        cell = np.uint64((np.int64(fund[j]) * n_hosp + hospital[j]) * (n_drg + 1) + g)
        i = slot[cell]
        fresh = i < 0
        i = np.int32(k) if fresh else i
        slot[cell] = i
        keys[np.uint64(k)] = cell
        k += fresh
        at[j] = i
    sums = np.zeros((k, DRG_CELL_COLUMNS))
    for j in range(n):
        i = np.uint64(at[j])
        sums[i, 0] += 1.0
        sums[i, 1] += cost[j]
        if (acts[j] & unborne_bits) == 0:
            sums[i, 2] += cost[j]
        sums[i, 3] += oop[j]
        sums[i, 4] += points[j] * factor if readmit[j] else points[j]
        sums[i, 5] += deducted[j]
    return keys[:k].copy(), sums


#: Parts (a year's months) that `cell_totals` adds up in one call: more are joined in order,
#: fewer padded with empty ones (cell_totals_of), so the kernel is compiled for one length.
PARTS = 12


def _check_cell_totals(keys, sums, n_outer, n_inner):
    """As many parts of sums as of keys, a row of sums per key (all parts one width), and the
    keys in the cells."""
    if len(keys) != len(sums):
        raise checks.KernelInputError(
            f"cell_totals: {len(keys)} parts of keys, {len(sums)} of sums"
        )
    width = np.shape(sums[0])[1] if sums and np.ndim(sums[0]) == 2 else None
    for p, (k, v) in enumerate(zip(keys, sums, strict=True)):
        checks.shape("cell_totals", f"keys[{p}]", k, (None,))
        checks.shape("cell_totals", f"sums[{p}]", v, (k.shape[0], width))
        checks.index("cell_totals", f"keys[{p}]", k, 0, n_outer * n_inner, "the cells")


@checks.front(_check_cell_totals)
@kernel
def cell_totals(keys, sums, n_outer, n_inner):  # pragma: no cover - jitted
    """The cells (outer × n_inner + inner) among the parts' `keys`, in increasing order, as
    their outer and inner indices, and the sums of each one's rows of the parts' `sums`, added
    from 0 in row order, part after part (through a table of each cell's row, not of every
    cell's sums). `keys` and `sums` are tuples of parts: keys [rows], sums [rows, width]."""
    width = sums[0].shape[1]
    n_cells = n_outer * n_inner
    slot = np.full(n_cells, -1, np.int32)
    n_rows = 0
    for p in range(len(keys)):
        part = keys[p]
        n_rows += part.shape[0]
        for i in range(part.shape[0]):
            slot[np.uint64(part[i])] = -2  # a cell with rows, its place not yet given
    outer = np.empty(min(n_rows, n_cells), np.int64)
    inner = np.empty(min(n_rows, n_cells), np.int64)
    k = 0
    for o in range(n_outer):  # the cells in order, numbered without a division
        k = number_marked(slot[o * n_inner : (o + 1) * n_inner], o, outer, inner, k)
    total = np.zeros((k, width))
    for p in range(len(keys)):
        part, values = keys[p], sums[p]
        for i in range(part.shape[0]):
            at = np.uint64(slot[np.uint64(part[i])])
            for j in range(width):
                total[at, j] += values[i, j]
    return outer[:k].copy(), inner[:k].copy(), total


def cell_totals_of(parts, n_outer, n_inner, width):
    """`cell_totals` of a list of parts (keys, sums [keys, width]): up to PARTS as they are,
    more joined in order (the same rows in the same order), without a copy of every row."""
    keys = [np.ascontiguousarray(k, dtype=np.int64) for k, _ in parts]
    sums = [np.ascontiguousarray(v, dtype=np.float64) for _, v in parts]
    if len(parts) > PARTS:
        keys[PARTS - 1 :] = [np.concatenate(keys[PARTS - 1 :])]
        sums[PARTS - 1 :] = [np.concatenate(sums[PARTS - 1 :])]
    pad = PARTS - len(keys)
    keys += [np.empty(0, np.int64)] * pad
    sums += [np.empty((0, width))] * pad
    return cell_totals(tuple(keys), tuple(sums), n_outer, n_inner)
