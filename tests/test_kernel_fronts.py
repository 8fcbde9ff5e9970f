"""Kernel fronts refuse arrays a kernel would index out of bounds, and the CLI an empty catalogue."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from drgsim.engine.year_totals import AUDITED_BITS, AUDITED_ROWS, TALLY_CARRIES
from drgsim.kernels import checks
from drgsim.kernels.act_totals import split_firsts
from drgsim.kernels.aggregate import (
    cell_totals,
    drg_cell_sums,
    month_totals,
    risk_counts,
)
from drgsim.kernels.checks import KernelInputError
from drgsim.kernels.generate import N_PARAMS, generate_cases
from drgsim.kernels.group import group_cases
from drgsim.kernels.price import price_cases
from drgsim.kernels.rng import Draw
from drgsim.kernels.sample import select_per_group
from drgsim.kernels.tally import audit_tally

CATALOGUE_HEADER = "drg,mdc,adrg,adrg_type,suffix,name,ref_mean_cost_yuan,mean_los_days\n"


def test_a_header_only_catalogue_is_one_error_line_with_nothing_left_behind(
    tmp_path: Path,
) -> None:
    (tmp_path / "codes.csv").write_text(CATALOGUE_HEADER, encoding="utf-8")
    (tmp_path / "city.yaml").write_text(
        "extends: shanwei\nregion: {admissions: 2000}\ncatalogue: {source: codes.csv}\n",
        encoding="utf-8",
    )
    out = run_cli("run", "city.yaml", "--out", "result", cwd=tmp_path)
    assert out.returncode == 2, (out.returncode, out.stderr[-500:])
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr
    assert "codes.csv" in lines[0] and "no DRG rows" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city.yaml", "codes.csv"]


def _i32(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int32)


def _price_args(hospital: np.ndarray, drg: np.ndarray) -> tuple:
    n, g = drg.shape[0], 2
    return (
        hospital,
        drg.astype(np.int16),
        np.full(n, 100.0),
        np.zeros(n, np.int8),
        np.full(n, 5, np.int16),
        np.full(g, 50.0),
        np.full(g, 0.5),
        np.full(g, 100.0),
        np.ones(g, bool),
        np.ones((1, g)),
        np.array([np.inf]),
        np.array([3.0]),
        0.4,
        False,
        1.0,
        100.0,
        100.0,
        1.0,
        2,
    )


def _month_totals_args(fund: np.ndarray, hospital: np.ndarray, drg: np.ndarray) -> tuple:
    """Claims of funds `fund` (of 1), hospitals `hospital` (of 1), DRGs `drg` (of 2)."""
    n = hospital.shape[0]
    zeros = np.zeros(n)
    flags = np.zeros(n, bool)
    return (
        fund.astype(np.int8),
        hospital,
        drg.astype(np.int16),
        np.zeros(n, np.int8),
        zeros,
        flags,
        0.8,
        *(zeros, zeros, np.zeros(n, np.int16), zeros),
        *(flags, np.zeros(n, np.uint8), np.zeros(n, np.uint8)),
        0,
        np.ones(2),
        1.5,
        1,
        1,
        4,
    )


def _drg_cell_args(fund: np.ndarray, hospital: np.ndarray, drg: np.ndarray) -> tuple:
    """Claims of funds `fund` (of 1), hospitals `hospital` (of 1), DRGs `drg` (of 2)."""
    n = hospital.shape[0]
    zeros = np.zeros(n)
    return (
        fund.astype(np.int8),
        hospital,
        drg.astype(np.int16),
        np.zeros(n, np.uint8),
        *(zeros, zeros, zeros),
        np.zeros(n, bool),
        zeros,
        0.8,
        0,
        1,
        1,
        2,
    )


def _generate_args(**change: object) -> tuple:
    args = {
        "key": np.uint64(1),
        "hospital": _i32(0, 0, 1),
        "hosp_tier": np.array([0, 0], np.int64),
        "hosp_cost_level": np.ones(2),
        "patient_share": np.full((1, 2), 0.3),
        "fund_key": np.uint64(7),
        "fund_cum": np.ones(1),
        "alias_prob": np.ones((1, 2)),
        "alias_idx": _i32(0, 1)[None, :],
        "level_prob": np.tile([0.1, 0.2, 0.7], (2, 1)),
        "group_table": np.array([[0, 1, 2], [3, 3, 3]], np.int32),
        "ref_cost": np.full(4, 5000.0),
        "mean_los": np.full(4, 5.0),
        "params": np.full(N_PARAMS, 0.1),
        "first_day": 1,
        "days_in_month": 31,
        "population": 1000,
    }
    args.update(change)
    return tuple(args.values())


def _tally_args(**change: np.ndarray) -> tuple:
    """Two claims of hospitals 0 and 1 (of 3) for the audit tally, with `change` applied."""
    n_audited = len(AUDITED_BITS)
    args = {
        "hospital": _i32(0, 1),
        "acts": np.zeros(2, np.uint8),
        "screened": np.zeros(2, bool),
        "sampled": np.zeros(2, bool),
        "inspected": np.zeros(2, bool),
        "caught": np.zeros(2, np.uint8),
        "deducted": np.zeros((2, n_audited)),
        "take": np.arange(2),
        "every": False,
        "carries": TALLY_CARRIES,
        "audited_bits": AUDITED_BITS,
        "audited_row": AUDITED_ROWS,
        "n_hosp": 3,
    }
    args.update(change)
    return tuple(args.values())


CASES = {
    "price: DRG past the tariff": (price_cases, _price_args(_i32(0, 0), _i32(0, 2)), "drg"),
    "price: DRG below -1": (price_cases, _price_args(_i32(0, 0), _i32(-2, 0)), "drg"),
    "price: hospital past coef": (price_cases, _price_args(_i32(0, 1), _i32(0, 1)), "hospital"),
    "month_totals: fund": (
        month_totals,
        _month_totals_args(_i32(0, 1), _i32(0, 0), _i32(0, 1)),
        "fund",
    ),
    "month_totals: hospital": (
        month_totals,
        _month_totals_args(_i32(0, 0), _i32(0, 1), _i32(0, 1)),
        "hospital",
    ),
    "month_totals: DRG": (
        month_totals,
        _month_totals_args(_i32(0, 0), _i32(0, 0), _i32(-2, 1)),
        "drg",
    ),
    "drg_cell_sums: fund": (
        drg_cell_sums,
        _drg_cell_args(_i32(0, 1), _i32(0, 0), _i32(0, 1)),
        "fund",
    ),
    "drg_cell_sums: hospital": (
        drg_cell_sums,
        _drg_cell_args(_i32(0, 0), _i32(-1, 0), _i32(0, 1)),
        "hospital",
    ),
    "drg_cell_sums: DRG": (
        drg_cell_sums,
        _drg_cell_args(_i32(0, 0), _i32(0, 0), _i32(0, 2)),
        "drg",
    ),
    "risk_counts: hospital": (
        risk_counts,
        (_i32(0, 2), _i32(0, 1), np.zeros(2, np.int8), np.zeros(2, bool), np.ones(2), 1, 2),
        "hospital",
    ),
    "risk_counts: DRG": (
        risk_counts,
        (_i32(0, 1), _i32(0, 2), np.zeros(2, np.int8), np.zeros(2, bool), np.ones(2), 1, 2),
        "drg",
    ),
    "split_firsts: length": (
        split_firsts,
        (np.arange(3), np.zeros(2, np.int32), np.arange(3), np.zeros(3, np.int32), 1),
        "acts",
    ),
    "cell_totals: key": (cell_totals, ((np.array([0, 3]),), (np.zeros((2, 6)),), 1, 3), "keys"),
    "cell_totals: sums": (cell_totals, ((np.array([0, 1]),), (np.zeros((3, 6)),), 1, 3), "sums"),
    "group_cases: ADRG": (
        group_cases,
        (
            np.array([0, 7], np.int16),
            np.zeros(2, np.int8),
            np.zeros(2, bool),
            np.zeros((2, 3), np.int32),
        ),
        "adrg",
    ),
    "group_cases: severity": (
        group_cases,
        (
            np.zeros(2, np.int16),
            np.array([0, 3], np.int8),
            np.zeros(2, bool),
            np.zeros((2, 3), np.int32),
        ),
        "severity",
    ),
    "audit_tally: hospital": (audit_tally, _tally_args(hospital=_i32(0, 3)), "hospital"),
    "audit_tally: take": (audit_tally, _tally_args(take=np.array([0, 2])), "take"),
    "audit_tally: deducted": (audit_tally, _tally_args(deducted=np.zeros((2, 9))), "deducted"),
    "select_per_group: group": (
        select_per_group,
        (_i32(0, 2), np.arange(2), np.ones(2, np.int64), np.uint64(1), int(Draw.AUDIT_SAMPLE)),
        "group",
    ),
    "select_per_group: case id": (
        select_per_group,
        (_i32(0, 0), np.array([0, -1]), np.ones(1, np.int64), np.uint64(1), int(Draw.AUDIT_SAMPLE)),
        "case_id",
    ),
    "generate: hospital": (generate_cases, _generate_args(hospital=_i32(0, 2)), "hospital"),
    "generate: fund edges": (
        generate_cases,
        _generate_args(fund_cum=np.array([0.6, 0.9]), patient_share=np.full((2, 2), 0.3)),
        "fund_cum",
    ),
    "generate: fund shares": (
        generate_cases,
        _generate_args(patient_share=np.full((2, 2), 0.3)),
        "patient_share",
    ),
    "generate: tier": (generate_cases, _generate_args(hosp_tier=np.array([0, 1])), "hosp_tier"),
    "generate: alias": (generate_cases, _generate_args(alias_idx=_i32(0, 2)[None, :]), "alias_idx"),
    "generate: DRG": (
        generate_cases,
        _generate_args(group_table=np.array([[0, 1, 2], [3, 4, 3]], np.int32)),
        "group_table",
    ),
    "generate: no ADRG": (
        generate_cases,
        _generate_args(
            alias_prob=np.ones((1, 0)),
            alias_idx=np.zeros((1, 0), np.int32),
            level_prob=np.zeros((0, 3)),
            group_table=np.zeros((0, 3), np.int32),
        ),
        "no ADRG",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_kernel_front_refuses_indices_out_of_range(name: str) -> None:
    fn, args, word = CASES[name]
    with pytest.raises(KernelInputError, match=re.escape(word)) as caught:
        fn(*args)
    assert "\n" not in str(caught.value)


def test_the_fronts_pass_good_input_to_the_kernels() -> None:
    klass, points, _ = price_cases(*_price_args(_i32(0, 0), _i32(0, -1)))
    assert points.shape == (2,) and klass[1] == 3  # the ungroupable case goes to special review
    patient, *_ = generate_cases(*_generate_args())
    assert patient.shape == (3,)
    tally = audit_tally(*_tally_args())
    assert tally.shape == (3, TALLY_CARRIES.shape[0], 7) and tally[:, -1, 0].tolist() == [1, 1, 0]


def test_a_kernel_front_refusal_reaching_the_cli_is_one_line(monkeypatch, capsys) -> None:
    """Should a front's check ever fire under the CLI, the user sees one line and exit code 2."""
    from drgsim import cli

    def refuse(args: object) -> int:
        group_cases(_i32(0), _i32(7), np.zeros(1, np.int8), np.zeros((1, 3), np.int16))
        return 0

    class Parser:
        def parse_args(self, argv: object) -> argparse.Namespace:
            return argparse.Namespace(func=refuse, command="validate")

    monkeypatch.setattr(cli, "_parser", Parser)
    assert cli.main(["validate", "x.yaml"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("drgsim: error: validate: ") and "bug" in err[0]


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(-128, 127), min_size=1, max_size=50),
    dtype=st.sampled_from([np.int8, np.int16, np.int32, np.int64, np.float64]),
)
def test_bounds_kernel_is_the_arrays_min_and_max(values: list[int], dtype: type) -> None:
    array = np.array(values, dtype=dtype)
    assert checks.bounds(array) == (array.min(), array.max())


@pytest.mark.parametrize("size", [5, 10_000])  # the compiled pass and numpy's
@pytest.mark.parametrize("bad", [-1, 7])
def test_index_refuses_a_value_outside_the_table_on_short_and_long_arrays(
    size: int, bad: int
) -> None:
    values = np.zeros(size, dtype=np.int32)
    values[size // 2] = bad
    with pytest.raises(KernelInputError, match=f"k: v has value {bad}; allowed 0 … 6 \\(t\\)"):
        checks.index("k", "v", values, 0, 7, "t")
    values[size // 2] = 6
    checks.index("k", "v", values, 0, 7, "t")


def test_group_cases_front_passes_an_ungroupable_record_whose_codes_are_outside_the_table() -> None:
    """Only a grouped case's ADRG and severity must index the table (the quick whole-array
    check failing falls back to the grouped cases' own)."""
    table = np.arange(6, dtype=np.int16).reshape(2, 3)
    adrg, severity = np.array([1, 9, 0], np.int16), np.array([2, 0, 7], np.int8)
    out = group_cases(adrg, severity, np.array([False, True, True]), table)
    assert out.tolist() == [5, -1, -1]
    with pytest.raises(KernelInputError, match="severity has value 7"):
        group_cases(adrg, severity, np.array([False, True, False]), table)
    assert checks.within(np.array([0, 2]), 0, 3) and not checks.within(np.array([0, 3]), 0, 3)
    assert not checks.within(np.array([-1, 2]), 0, 3) and not checks.within(np.zeros(0), 0, 3)
