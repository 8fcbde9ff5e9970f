"""Kernels that split each hospital's payment and fixed cost over its DRGs, all hospitals at once."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.grouping import number_marked, rows_by_group
from drgsim.kernels.jit import kernel
from drgsim.kernels.pairwise import pairwise_sum
from drgsim.kernels.remainder import largest_remainder


def _check_split_by_points(group, paid_fen, oop_yuan, points, deducted, charges_yuan, residue):
    """The rows' arrays have one length and each row's group indexes `paid_fen`."""
    name = "split_by_points"
    checks.same_length(
        name,
        group.shape[0],
        oop_yuan=oop_yuan,
        points=points,
        deducted=deducted,
        charges_yuan=charges_yuan,
    )
    checks.shape(name, "paid_fen", paid_fen, (None,))
    checks.index(name, "group", group, 0, paid_fen.shape[0], "the payments")


@checks.front(_check_split_by_points)
@kernel
def split_by_points(
    group, paid_fen, oop_yuan, points, deducted, charges_yuan, residue
):  # pragma: no cover - jitted
    """(parts, bad row, its amount): each row's whole fen of its group's payment
    `paid_fen[group]`, the parts of a group summing to it (rules.costs.payment_by_points_fen).

    A group's rows, in their order, share its payment plus their patient payments by points net
    of deductions, less each row's own patient payment; where the group's net points (Σ points
    − Σ deducted, 0 within `residue` × |Σ points|) are not above 0, by charges, then evenly.
    Every sum adds the group's values in numpy's order (pairwise_sum); the parts are whole fen
    by largest remainder. An exact amount largest_remainder refuses returns its row and value
    instead (bad row −1 when none).
    """
    n = group.shape[0]
    parts = np.zeros(n, np.int64)
    order, begins = rows_by_group(group, paid_fen.shape[0])
    p = np.empty(n)
    d = np.empty(n)
    oop_fen = np.empty(n)
    c = np.empty(n)
    exact = np.empty(n)
    for g in range(paid_fen.shape[0]):
        start, stop = begins[g], begins[g + 1]
        m = stop - start
        if m == 0:
            continue
        for k in range(m):
            row = order[start + k]
            p[k] = points[row]
            d[k] = deducted[row]
            oop_fen[k] = oop_yuan[row] * 100.0
            c[k] = charges_yuan[row]
        total_points = pairwise_sum(p, 0, m)
        net = total_points - pairwise_sum(d, 0, m)
        if abs(net) <= residue * abs(total_points):  # rules.settlement.net_points
            net = 0.0
        fen = paid_fen[g]
        if net > 0:
            money = np.float64(fen) + pairwise_sum(oop_fen, 0, m)
            for k in range(m):
                exact[k] = money * ((p[k] - d[k]) / net) - oop_fen[k]
        else:
            charged = pairwise_sum(c, 0, m)
            if charged > 0:
                for k in range(m):
                    exact[k] = np.float64(fen) * (c[k] / charged)
            else:
                for k in range(m):
                    exact[k] = np.float64(fen) / np.float64(m)
        got, bad = largest_remainder(fen, exact[:m])
        if bad >= 0:
            return parts, order[start + bad], exact[bad]
        for k in range(m):
            parts[order[start + k]] = got[k]
    return parts, -1, 0.0


def _check_split_by_weights(group, total, first, second):
    """The rows' arrays have one length and each row's group indexes `total`."""
    name = "split_by_weights"
    checks.same_length(name, group.shape[0], first=first, second=second)
    checks.shape(name, "total", total, (None,))
    checks.index(name, "group", group, 0, total.shape[0], "the totals")


@checks.front(_check_split_by_weights)
@kernel
def split_by_weights(group, total, first, second):  # pragma: no cover - jitted
    """Each row's share of its group's `total[group]` by the weights `first` of the group's
    rows, or where they sum to nothing positive by `second`, then evenly
    (rules.costs.fixed_by_charges_yuan): total × (weight / Σ weights), Σ in numpy's order."""
    n = group.shape[0]
    out = np.zeros(n)
    order, begins = rows_by_group(group, total.shape[0])
    w1 = np.empty(n)
    w2 = np.empty(n)
    for g in range(total.shape[0]):
        start, stop = begins[g], begins[g + 1]
        m = stop - start
        if m == 0:
            continue
        for k in range(m):
            w1[k] = first[order[start + k]]
            w2[k] = second[order[start + k]]
        amount = total[g]
        s1 = pairwise_sum(w1, 0, m)
        s2 = pairwise_sum(w2, 0, m)
        for k in range(m):
            if s1 > 0:
                share = w1[k] / s1
            elif s2 > 0:
                share = w2[k] / s2
            else:
                share = 1.0 / np.float64(m)
            out[order[start + k]] = amount * share
    return out


def _check_cells_over_funds(hospital, drg, sums, fen, n_hosp, n_drg):
    """The rows' arrays have one length; hospitals and DRGs lie in their tables."""
    name = "cells_over_funds"
    checks.same_length(name, hospital.shape[0], drg=drg, fen=fen)
    checks.shape(name, "sums", sums, (hospital.shape[0], None))
    checks.index(name, "hospital", hospital, 0, n_hosp, "the hospitals")
    checks.index(name, "drg", drg, 0, n_drg, "the DRG cells")


@checks.front(_check_cells_over_funds)
@kernel
def cells_over_funds(hospital, drg, sums, fen, n_hosp, n_drg):  # pragma: no cover - jitted
    """(hospital, DRG, sums, fen) of each (hospital, DRG) cell the rows fall in, in increasing
    order: the rows of every fund in a cell become one, their `sums` [rows, k] added from 0 in
    row order (as np.bincount adds) and their whole `fen` added."""
    n, width = hospital.shape[0], sums.shape[1]
    order, begins = rows_by_group(hospital, n_hosp)
    slot = np.full(n_drg, -1, np.int64)  # the output row of each DRG of the hospital at hand
    out_h = np.empty(n, np.int64)
    out_g = np.empty(n, np.int64)
    out_sums = np.zeros((n, width))
    out_fen = np.zeros(n, np.int64)
    k = 0
    for h in range(n_hosp):
        start, stop = begins[h], begins[h + 1]
        if start == stop:
            continue
        # (arrays indexed by unsigned numbers: no code for a negative index counted from the end)
        for i in range(start, stop):
            slot[np.uint64(drg[np.uint64(order[np.uint64(i)])])] = -2  # its row not yet given
        k = number_marked(slot, h, out_h, out_g, k)
        for i in range(start, stop):
            row = np.uint64(order[np.uint64(i)])
            c = np.uint64(slot[np.uint64(drg[row])])
            for j in range(width):
                out_sums[c, j] += sums[row, j]
            out_fen[c] += fen[row]
        for i in range(start, stop):
            slot[np.uint64(drg[np.uint64(order[np.uint64(i)])])] = -1
    return out_h[:k].copy(), out_g[:k].copy(), out_sums[:k].copy(), out_fen[:k].copy()
