"""A bad scenario is refused with one clear line per problem; a good one loads frozen and typed."""

from __future__ import annotations

import dataclasses
import pickle
import re
import subprocess
import time
from pathlib import Path

import pytest
from conftest import run_cli

from drgsim.errors import ScenarioError
from drgsim.scenario.loader import load_scenario, variant_scenario, with_overrides
from drgsim.scenario.schema import Scenario

REPO = Path(__file__).resolve().parents[1]
BAD_DIR = Path(__file__).resolve().parent / "bad_scenarios"
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))

# Each bad file holds one defect; its message must contain every fragment listed here:
# file:line, the key path, the bad value as shown, and what is allowed instead.
BAD = {
    "unknown_top_key.yaml": [
        "unknown_top_key.yaml:2",
        "replicatons:",
        "got 'replicatons'",
        "did you mean 'replications'?",
        "allowed:",
    ],
    "unknown_nested_key.yaml": [
        "unknown_nested_key.yaml:3",
        "settlement.prepay_shar:",
        "got 'prepay_shar'",
        "did you mean 'prepay_share'?",
        "allowed: mode, prepay_share",
    ],
    "text_for_number.yaml": [
        "text_for_number.yaml:2",
        "base_points:",
        "got 'lots'",
        "expected a number > 0",
    ],
    "share_above_one.yaml": [
        "share_above_one.yaml:3",
        "settlement.prepay_share:",
        "got 1.5",
        "allowed: >= 0 and <= 1",
    ],
    "negative_budget.yaml": [
        "negative_budget.yaml:3",
        "budget.annual:",
        "got -5000000",
        "allowed: >= 0",
    ],
    "duplicate_key.yaml": [
        "duplicate_key.yaml:3",
        "seed: duplicate key (first on line 2)",
    ],
    "invalid_yaml.yaml": [
        "invalid_yaml.yaml:3",
        "expected ',' or '}'",
        "not valid YAML",
    ],
    "missing_catalogue.yaml": [
        "missing_catalogue.yaml:3",
        "catalogue.source:",
        "got 'no_such_catalogue.csv'",
        "expected 'builtin' or an existing CSV/Parquet file",
    ],
    "settlement_mode.yaml": [
        "settlement_mode.yaml:3",
        "settlement.mode:",
        "got 'capitation'",
        "allowed: pool, clearing, repricing",
    ],
    "hospital_tier_4.yaml": [
        "hospital_tier_4.yaml:3",
        "hospitals.X1.tier:",
        "got 4",
        "allowed: >= 1 and <= 3",
    ],
    "seasonality_11.yaml": [
        "seasonality_11.yaml:3",
        "region.seasonality:",
        "got [1.0, 1.0",
        "expected 12",
    ],
    "indicator_weights.yaml": [
        "indicator_weights.yaml:3",
        "incentive.indicators:",
        "got 0.7",
        "must sum to 1",
    ],
    "high_bands_no_null.yaml": [
        "high_bands_no_null.yaml:5",
        "outliers.high.1.up_to",
        "got 3",  # the last band's up_to, which should have been null
        "up_to: null",
    ],
    "common_groups_bad_code.yaml": [
        "common_groups_bad_code.yaml:4",
        "coefficient.common_groups.1:",
        "got 'fm1'",
        "expected a DRG or ADRG code",
    ],
    "exempt_adrg_is_a_drg.yaml": [
        "exempt_adrg_is_a_drg.yaml:4",
        "readmission.exempt_adrgs.0:",
        "got 'RE19'",
        "expected an ADRG code",
    ],
    "variant_unknown_key.yaml": [
        "variant_unknown_key.yaml:3",
        "variants.v: settlement.prepay_shar:",
        "got 'prepay_shar'",
        "did you mean 'prepay_share'?",
    ],
    "variant_out_of_range.yaml": [
        "variant_out_of_range.yaml:3",
        "variants.v: settlement.prepay_share:",
        "got 1.2",
        "allowed: >= 0 and <= 1",
    ],
    "variant_named_baseline.yaml": [
        "variant_named_baseline.yaml:3",
        "variants.baseline:",
        "got 'baseline'",
        "'baseline' is the name of the unchanged scenario",
    ],
    "empty.yaml": [
        "empty.yaml",
        "expected",
    ],
    "top_level_list.yaml": [
        "top_level_list.yaml:1",
        "got [{'name': 'listed'}",
        "must be a mapping",
    ],
    "replications_zero.yaml": [
        "replications_zero.yaml:2",
        "replications:",
        "got 0",
        "allowed: >= 1",
    ],
    "trim_reversed.yaml": [
        "trim_reversed.yaml:3",
        "weights.trim_quantiles:",
        "got [0.9, 0.1]",
        "expected [low, high] with low < high",
    ],
    "floor_above_ceiling.yaml": [
        "floor_above_ceiling.yaml:3",
        "point_value.floor:",
        "got 1.1",
        "expected at most point_value.ceiling (0.9)",
    ],
    "variant_unknown_hospital.yaml": [
        "variant_unknown_hospital.yaml:4",
        "variants.upcoding: hospitals.SW1.upcoding.rate:",
        "got 'SW1'",
        "did you mean 'SW01'?",
        "allowed: SW01, SW02",
    ],
    "variant_adds_hospital.yaml": [
        "variant_adds_hospital.yaml:5",
        "variants.bigger: hospitals:",
        "got 'SW06'",
        "no such hospital",
        "declared in the baseline",
    ],
    "variant_tier_4.yaml": [
        "variant_tier_4.yaml:4",
        "variants.k4: coefficient.tiers.4:",
        "got 4",
        "allowed tiers: 1, 2, 3",
    ],
    "extends_missing.yaml": [
        "extends_missing.yaml:2",
        "extends:",
        "got 'nosuch'",
        "allowed: a shipped scenario (clearing_rules, national, point_value_race, pool_vs_repricing, "
        "shanwei)",
    ],
    "extends_itself.yaml": [
        "extends_itself.yaml:2",
        "extends:",
        "got 'extends_itself.yaml'",
        "a loop (extends_itself.yaml → extends_itself.yaml)",
    ],
    "no_hospitals.yaml": [
        "no_hospitals.yaml",
        "hospitals:",
        "got {}",
        "expected at least one hospital",
        "extends: shanwei",
    ],
    "size_admissions_1e12.yaml": [
        "size_admissions_1e12.yaml:2",
        "region.admissions:",
        "got 1000000000000.0",
        "allowed: at most",
        "10,000,000 cases in the busiest month",
    ],
    "size_beds.yaml": [
        "size_beds.yaml",
        "region.admissions:",
        "got 35000000000.0",  # 10**9 beds × 35 admissions per tier-3 bed
        "derived, as the file leaves it out",
    ],
    "size_other_hospitals_1e9.yaml": [
        "size_other_hospitals_1e9.yaml:2",
        "other_hospitals.count.1:",
        "got 1000000000.0",
        "allowed: >= 0 and <= 10000",
    ],
    "size_budget_1e17.yaml": [
        "size_budget_1e17.yaml:2",
        "budget.annual:",
        "got 1e+17",
        "int64 fen",
    ],
    "size_budget_two_years.yaml": [
        "size_budget_two_years.yaml:3",
        "budget.annual:",
        "got 9e+16",
        "over 2 year(s)",
    ],
    "yaml_custom_tag.yaml": [
        "yaml_custom_tag.yaml:3",
        "region.name:",
        "got '!foo'",
        "allowed: plain YAML values without tags",
    ],
    "yaml_python_tag.yaml": [
        "yaml_python_tag.yaml:2",
        "seed:",
        "got '!!python/name:os.system'",
        "without tags",
    ],
    "yaml_merge_key.yaml": [
        "yaml_merge_key.yaml:4",
        "settlement.<<:",
        "merge keys (<<) are not read",
    ],
    "yaml_list_key.yaml": [
        "yaml_list_key.yaml:3",
        "settlement.?:",
        "got 'a list or mapping as a key'",
        "allowed: keys are plain text",
    ],
    "yaml_mapping_key.yaml": [
        "yaml_mapping_key.yaml:3",
        "weights.?:",
        "got 'a list or mapping as a key'",
    ],
    "yaml_recursive_alias.yaml": [
        "yaml_recursive_alias.yaml:3",
        "variants.loop:",
        "got '*v'",
        "aliases to values that do not contain them",
    ],
    "yaml_deep_nesting.yaml": [
        "yaml_deep_nesting.yaml:3",
        "got 'nesting deeper than 64'",
        "allowed: 64 levels",
    ],
    "yaml_billion_laughs.yaml": [
        "yaml_billion_laughs.yaml:",
        "got 'more than 100,000 values'",
        "aliases (*name) expanded",
    ],
}

KNOWN_FAILURES: dict[str, str] = {}
NO_SINGLE_VALUE = {"empty.yaml", "duplicate_key.yaml"}

HINT = re.compile(r"allowed|expected|must|did you mean|duplicate|is the name")


def _bad_files() -> list[object]:
    """Every bad file as a pytest param, xfail-marked where drgsim is known not to meet the bar."""
    params = []
    for name in sorted(BAD):
        marks = []
        if name in KNOWN_FAILURES:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[name]))
        params.append(pytest.param(name, marks=marks, id=name.removesuffix(".yaml")))
    return params


def test_every_bad_file_has_its_expected_fragments_listed() -> None:
    assert sorted(p.name for p in BAD_DIR.glob("*.yaml")) == sorted(BAD)


@pytest.mark.parametrize("name", _bad_files())
def test_a_bad_file_is_refused_with_one_line_naming_file_key_value_and_what_is_allowed(
    name: str,
) -> None:
    path = BAD_DIR / name
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    lines = str(info.value).splitlines()
    assert lines == info.value.problems
    assert len(lines) == 1, f"one defect should give one line, got {lines}"
    for line in lines:
        assert line.startswith(str(path)), line
        # a bad value is shown as `got …`; whole-file problems (empty, duplicate key) have none
        assert "got " in line or name in NO_SINGLE_VALUE, line
        assert HINT.search(line), line
    for fragment in BAD[name]:
        assert fragment in lines[0], f"{fragment!r} missing from {lines[0]!r}"


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=60)


def _cli_bad_files() -> list[object]:
    return [
        pytest.param(
            name,
            id=name.removesuffix(".yaml"),
        )
        for name in sorted(BAD)
    ]


@pytest.mark.parametrize("name", _cli_bad_files())
def test_drgsim_validate_refuses_a_bad_file_with_error_lines_and_no_traceback(name: str) -> None:
    proc = _cli("validate", BAD_DIR / name)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, lines
    assert all(line.startswith("drgsim: error: ") for line in lines), lines
    assert name in lines[0]
    assert proc.stdout == ""


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipped_scenario_validates(path: Path) -> None:
    proc = _cli("validate", path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert f"{path}: ok" in proc.stdout


def test_a_mapping_gives_the_defaults_of_the_payment_spec_and_no_city() -> None:
    s = load_scenario({"hospitals": {"A": {"tier": 2, "beds": 100}}})
    written = ("region", "hospitals")
    assert [
        (f.name, getattr(s, f.name)) for f in dataclasses.fields(s) if f.name not in written
    ] == [
        (f.name, getattr(Scenario(), f.name))
        for f in dataclasses.fields(s)
        if f.name not in written
    ]
    assert s.base_points == 100.0
    assert s.weights.min_cases == 5
    assert dict(s.coefficient.tiers) == {3: 1.0, 2: 0.9, 1: 0.8}
    assert s.outliers.low == 0.4
    assert [(b.up_to, b.ratio) for b in s.outliers.high] == [
        (1.0, 3.0),
        (3.0, 2.0),
        (None, 1.5),
    ]
    assert s.outliers.low_uses_coefficient is False
    assert s.coefficient.common_groups == ()
    assert s.special_review.quota == 0.05
    assert (s.special_review.min_ratio, s.special_review.approval) == (3.0, 0.7)
    assert s.special_review.pay_ratio == 1.0
    assert s.readmission.exempt_adrgs == ()
    assert (s.readmission.window_days, s.readmission.factor) == (15, 0.5)
    assert s.budget.growth is None  # neutral against the generator's growth (spec §3, §9)
    assert (s.growth.charges, s.growth.volume) == (0.04, 0.02)
    assert s.budget.reserve == 0.05
    assert s.budget.annual is None
    assert s.reporting.lag_months == 1
    assert s.settlement.mode == "pool"
    assert s.settlement.prepay_share == 0.90
    assert s.audit.sample_rate == 0.05
    assert dict(s.audit.detection) == {
        "upcoding": 0.6,
        "splitting": 0.5,
        "phantom": 0.8,
        "underservice": 0.2,
    }
    assert dict(s.audit.penalty) == {"upcoding": 2.0, "splitting": 1.0, "phantom": 3.0}
    assert (s.incentive.min, s.incentive.max) == (0.8, 1.2)
    indicators = {
        name: (ind.weight, ind.best, ind.worst) for name, ind in s.incentive.indicators.items()
    }
    assert indicators == {
        "cost_efficiency": (0.4, 0.8, 1.2),
        "time_efficiency": (0.2, 0.8, 1.2),
        "violation_rate": (0.3, 0.0, 0.10),
        "referral_out_high": (0.1, 0.0, 0.05),
    }
    assert s.incomplete_stay_days == 2
    assert list(s.hospitals) == ["A"]
    assert dict(s.other_hospitals.count) == {}
    assert s.variants == {}


VARIANTS = """\
extends: shanwei
name: variants
variants:
  k3: {coefficient.tiers.3: 1.1}
  prepay: {settlement.prepay_share: 0.85, settlement.mode: repricing}
  bigger_hospital:
    hospitals.SW01.beds: 1000
"""


@pytest.fixture(scope="module")
def with_variants() -> Scenario:
    return load_scenario(VARIANTS)


def test_a_variant_applies_its_dotted_overrides_and_leaves_the_baseline_alone(
    with_variants: Scenario,
) -> None:
    v = variant_scenario(with_variants, "prepay")
    assert (v.settlement.prepay_share, v.settlement.mode) == (
        0.85,
        "clearing",
    )  # repricing, its old name
    assert (with_variants.settlement.prepay_share, with_variants.settlement.mode) == (0.9, "pool")
    assert variant_scenario(with_variants, "baseline") is with_variants


def test_a_dotted_override_reaches_an_integer_tier_key(with_variants: Scenario) -> None:
    v = variant_scenario(with_variants, "k3")
    assert dict(v.coefficient.tiers) == {3: 1.1, 2: 0.9, 1: 0.8}
    assert all(isinstance(t, int) for t in v.coefficient.tiers)


def test_a_hospital_override_changes_one_key_of_one_hospital(with_variants: Scenario) -> None:
    v = variant_scenario(with_variants, "bigger_hospital")
    assert sorted(v.hospitals) == sorted(with_variants.hospitals)
    assert v.hospitals["SW01"].beds == 1000
    assert v.hospitals["SW01"].name == with_variants.hospitals["SW01"].name
    assert v.hospitals["SW02"] == with_variants.hospitals["SW02"]


def test_an_unknown_variant_name_is_refused_with_the_known_ones(with_variants: Scenario) -> None:
    with pytest.raises(ScenarioError, match="known variants: baseline, k3, prepay"):
        variant_scenario(with_variants, "nosuch")


def test_a_scenario_is_frozen(with_variants: Scenario) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        with_variants.seed = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        with_variants.settlement.prepay_share = 0.5  # type: ignore[misc]


@pytest.mark.parametrize(
    "mapping",
    [
        lambda s: s.hospitals,
        lambda s: s.coefficient.tiers,
        lambda s: s.audit.detection,
        lambda s: s.incentive.indicators,
        lambda s: s.variants,
        lambda s: s.variants["k3"],
    ],
    ids=["hospitals", "tiers", "detection", "indicators", "variants", "one_variant"],
)
def test_a_scenario_mapping_refuses_changes(with_variants: Scenario, mapping) -> None:
    m = mapping(with_variants)
    before = dict(m)
    with pytest.raises(TypeError):
        m["new"] = 1
    with pytest.raises(TypeError):
        m.update({"new": 1})
    with pytest.raises(TypeError):
        m.pop(next(iter(m)))
    with pytest.raises(TypeError):
        del m[next(iter(m))]
    assert dict(m) == before


def test_a_scenario_survives_pickling(with_variants: Scenario) -> None:
    for s in (with_variants, variant_scenario(with_variants, "bigger_hospital")):
        assert pickle.loads(pickle.dumps(s)) == s


def test_numbers_written_as_text_are_read_as_numbers() -> None:
    s = load_scenario(
        'base_points: "1.5e2"\nbudget:\n  annual: "3e8"\nregion:\n  admissions: 1e6\n'
        "extends: shanwei\n"
    )
    assert s.budget.annual == 3e8 and isinstance(s.budget.annual, float)
    assert s.region.admissions == 1e6 and isinstance(s.region.admissions, float)
    assert s.base_points == 150.0


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("base_points: true\n", "got True"),
        ("base_points: .inf\n", "got inf"),
        ("base_points: .nan\n", "got nan"),
        ("base_points: 3e8x\n", "got '3e8x'"),
    ],
)
def test_things_that_only_look_like_numbers_are_refused(text: str, shown: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(text)
    assert str(info.value) == f"<scenario>:1: base_points: {shown}; expected a number > 0"


def test_a_billion_laughs_file_is_refused_without_expanding_it() -> None:
    """Expanding its 9**9 values would take minutes of CPU; refusing it takes milliseconds (CPU
    time, so that a loaded machine does not make the check fail)."""
    path = BAD_DIR / "yaml_billion_laughs.yaml"  # 9 lists of 9 aliases: 9**9 values expanded
    start = time.process_time()
    with pytest.raises(ScenarioError):
        load_scenario(path)
    assert time.process_time() - start < 2


def test_block_nesting_deeper_than_the_limit_names_the_key_path() -> None:
    text = "a:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(100))
    with pytest.raises(ScenarioError) as info:
        load_scenario(text)
    assert str(info.value).startswith("<scenario>:65: a.k0.k1.k2.")
    assert "got 'nesting deeper than 64'; allowed: 64 levels" in str(info.value)


def test_small_aliases_and_plain_tags_are_still_read() -> None:
    text = (
        "name: aliases\nseed: !!int '7'\nregion: {admissions: 20000}\n"
        "hospitals: {A: {tier: 2, beds: 100}}\n"
        "variants:\n  a: &cut {settlement.prepay_share: 0.85}\n  b: *cut\n"
    )
    s = load_scenario(text)
    assert s.seed == 7
    assert s.variants["a"] == s.variants["b"] == {"settlement.prepay_share": 0.85}


@pytest.mark.parametrize(
    ("flag", "fragment"),
    [
        ("--set", "seed=!!python/name:os.system"),
        ("--set", "variants=&a [*a]"),
        ("--grid", "seed=!foo 1,2"),
    ],
    ids=["set_python_tag", "set_recursive_alias", "grid_custom_tag"],
)
def test_a_command_line_yaml_value_gets_the_same_limits_as_a_file(
    flag: str, fragment: str, tmp_path: Path
) -> None:
    command = "run" if flag == "--set" else "sweep"
    proc = _cli(command, SCENARIOS[-1], flag, fragment, "--out", tmp_path / "out")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("drgsim: error: "), lines
    assert "Traceback" not in proc.stderr and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"hospitals.QS9.upcoding.rate": 0.1},
        {"hospitals.SW06": {"tier": 1, "beds": 50}},
        {"hospitals": {"SW01": {"tier": 3, "beds": 1200}, "QS9": {"tier": 2, "beds": 300}}},
    ],
    ids=["dotted", "new_id", "whole_mapping"],
)
def test_an_override_may_change_a_hospital_but_never_add_one(
    with_variants: Scenario, overrides: dict[str, object]
) -> None:
    with pytest.raises(ScenarioError) as info:
        with_overrides(with_variants, overrides, label="--set")
    (line,) = info.value.problems
    assert line.startswith("--set: hospitals")
    assert "no such hospital" in line and "declared in the baseline" in line


def test_set_with_a_typo_d_hospital_id_is_one_line_with_a_did_you_mean(tmp_path: Path) -> None:
    args = ("--set", "hospitals.SW1.upcoding.rate=0.1", "--out", tmp_path / "out")
    proc = _cli("run", REPO / "scenarios" / "shanwei.yaml", *args)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "drgsim: error: --set hospitals.SW1.upcoding.rate=0.1: got 'SW1'; no such hospital; "
        "did you mean 'SW01'? allowed: SW01, SW02, SW03, SW04, SW05 "
        "(a variant or --set changes hospitals; a new one is declared in the baseline)"
    ]
    assert not (tmp_path / "out").exists()


def test_the_audit_tables_name_the_acts_as_the_act_registry_does() -> None:
    from drgsim.acts import ACTS, AUDITED

    names = {a.name for a in ACTS}
    assert all(a.audit_key == a.name for a in AUDITED)
    audit = load_scenario(REPO / "scenarios" / "shanwei.yaml").audit
    for table in (audit.detection, audit.penalty, audit.screening.recall):
        assert set(table) <= names, sorted(table)


OLD_NAMES = """\
extends: shanwei
audit:
  detection: {split: 0.9}
  penalty: {split: 4}
  screening: {recall: {split: 0.7}}
variants:
  strict: {audit.penalty.split: 5}
"""


def test_an_old_scenario_naming_split_reads_as_splitting(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    old.write_text(OLD_NAMES, encoding="utf-8")
    new = tmp_path / "new.yaml"
    new.write_text(OLD_NAMES.replace("split:", "splitting:"), encoding="utf-8")
    a, b = load_scenario(old), load_scenario(new)
    assert a.audit.detection["splitting"] == 0.9 and "split" not in a.audit.detection
    assert a.audit.penalty["splitting"] == 4 and a.audit.screening.recall["splitting"] == 0.7
    assert dataclasses.replace(a, variants={}) == dataclasses.replace(b, variants={})
    assert variant_scenario(a, "strict").audit.penalty["splitting"] == 5
    for key in ("audit.penalty.split", "audit.penalty.splitting"):
        assert with_overrides(a, {key: 6}).audit.penalty["splitting"] == 6
    with pytest.raises(ScenarioError, match="splitt"):  # only the audit tables read the old name
        with_overrides(a, {"hospitals.SW01.split.rate": 0.1})


def test_a_missing_scenario_named_like_a_shipped_one_points_to_it() -> None:
    proc = run_cli("validate", "shanwei", cwd=REPO)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        "drgsim: error: shanwei: got 'shanwei'; the scenario file does not exist; "
        "did you mean scenarios/shanwei.yaml?"
    )


def test_a_missing_scenario_file_lists_the_shipped_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(REPO / "no_such_city.yaml")
    names = ", ".join(p.stem for p in SCENARIOS)
    assert f"the shipped scenarios ({names}) are in scenarios/" in str(caught.value)
    assert "no_such_city.yaml: got" in str(caught.value)


def test_a_misspelt_key_in_a_variant_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "city.yaml"
    path.write_text(
        "extends: shanwei\nvariants:\n  upcoding:\n    hospitals.SW01.upcodng.rate: 0.2\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(
        f"{path}:4: variants.upcoding: hospitals.SW01.upcodng: got 'upcodng'; unknown key; "
        "did you mean 'upcoding'?"
    )
