"""A scenario holds the hospitals it declares; a city preset is asked for with `extends:`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import drgsim
from drgsim.errors import ScenarioError
from drgsim.population.hospitals import hospital_table
from drgsim.scenario.loader import load_scenario, shipped_scenarios

REPO = Path(__file__).resolve().parents[1]

THREE_HOSPITALS = """\
name: Elsewhere
seed: 3
generator:
  admissions_per_bed: {3: 40, 2: 30, 1: 20}
hospitals:
  E1: {tier: 3, beds: 500}
  E2: {tier: 2, beds: 200}
  E3: {tier: 1, beds: 100}
"""


def test_a_new_city_gets_only_its_own_hospitals_and_admissions_from_their_beds() -> None:
    scn = load_scenario(THREE_HOSPITALS)
    assert hospital_table(scn).ids == ("E1", "E2", "E3")
    assert scn.region.admissions == 500 * 40 + 200 * 30 + 100 * 20  # 28,000
    assert scn.region.population == round(28_000 / 0.214)
    assert scn.region.name == "Elsewhere"


def test_a_new_city_runs_with_its_hospitals_and_its_name() -> None:
    result = drgsim.run(load_scenario(THREE_HOSPITALS))
    settled = result.settlement
    assert sorted(settled["hospital"].unique()) == ["E1", "E2", "E3"]
    cases = int(result.region_year["cases"].sum())
    assert abs(cases - 28_000) < 0.03 * 28_000


def test_extends_shanwei_brings_the_city_and_the_file_overrides_it() -> None:
    scn = load_scenario(
        "extends: shanwei\nname: study\nbudget: {growth: 0.02}\nhospitals: {SW01: {beds: 1300}}\n"
    )
    shanwei = load_scenario(shipped_scenarios() / "shanwei.yaml")
    assert list(scn.hospitals) == list(shanwei.hospitals)
    assert scn.hospitals["SW01"].beds == 1300
    assert scn.hospitals["SW01"].name == "汕尾市人民医院"  # merged key by key
    assert scn.budget.growth == 0.02
    assert scn.budget.reserve == shanwei.budget.reserve
    assert scn.region == shanwei.region
    assert dict(scn.other_hospitals.count) == {2: 10, 1: 25}
    # what a study says of itself is not inherited
    assert (scn.name, scn.description, dict(scn.variants)) == ("study", "", {})


def test_the_shipped_shanwei_studies_extend_shanwei() -> None:
    shanwei = load_scenario(REPO / "scenarios" / "shanwei.yaml")
    for name in ("pool_vs_repricing", "point_value_race", "clearing_rules"):
        scn = load_scenario(REPO / "scenarios" / f"{name}.yaml")
        assert scn.extends == "shanwei"
        assert (scn.hospitals, scn.other_hospitals.count) == (
            shanwei.hospitals,
            shanwei.other_hospitals.count,
        )
        assert scn.region.name == "汕尾市"


def test_a_preset_file_is_found_relative_to_the_scenario_and_its_files_relative_to_itself(
    tmp_path: Path,
) -> None:
    (tmp_path / "city").mkdir()
    shutil.copy(REPO / "tests" / "golden" / "catalogue.csv", tmp_path / "city" / "codes.csv")
    (tmp_path / "city" / "city.yaml").write_text(
        "name: city\ncatalogue: {source: codes.csv}\nhospitals: {C1: {tier: 2, beds: 50}}\n",
        encoding="utf-8",
    )
    (tmp_path / "study.yaml").write_text("extends: city/city.yaml\nname: study\n", encoding="utf-8")
    scn = load_scenario(tmp_path / "study.yaml")
    assert scn.catalogue.source == str((tmp_path / "city" / "codes.csv").resolve())
    assert list(scn.hospitals) == ["C1"]
    assert scn.region.name == "study"


def test_a_loop_of_presets_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: a\nextends: b.yaml\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("name: b\nextends: a.yaml\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "a.yaml")
    (line,) = info.value.problems
    assert line.startswith(f"{tmp_path / 'b.yaml'}:2: extends: got 'a.yaml'; a loop")
    assert "a.yaml → b.yaml → a.yaml" in line


def test_a_bad_preset_is_reported_in_the_preset_s_own_file(tmp_path: Path) -> None:
    (tmp_path / "city.yaml").write_text("name: city\nseed: -1\n", encoding="utf-8")
    (tmp_path / "study.yaml").write_text("extends: city.yaml\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "study.yaml")
    assert info.value.problems == [f"{tmp_path / 'city.yaml'}:2: seed: got -1; allowed: >= 0"]


def test_a_variant_cannot_change_the_preset() -> None:
    with pytest.raises(ScenarioError, match="extends: got 'national'; a preset is read"):
        load_scenario("extends: shanwei\nvariants:\n  v: {extends: national}\n")


def test_the_wheel_ships_the_scenarios_that_extends_resolves() -> None:
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '"scenarios" = "drgsim/_scenarios"' in pyproject
    package = Path(drgsim.__file__).resolve().parent
    assert shipped_scenarios() in (package / "_scenarios", package.parent / "scenarios")
    assert (shipped_scenarios() / "shanwei.yaml").is_file()


def test_the_manifest_hash_of_what_ran_changes_with_the_preset(tmp_path: Path) -> None:
    """The study file's bytes stay the same when its preset changes; the resolved hash must not."""
    study = tmp_path / "study.yaml"
    study.write_text("extends: city.yaml\nname: study\nreplications: 1\n", encoding="utf-8")
    hashes = []
    for beds in (100, 120):
        (tmp_path / "city.yaml").write_text(
            THREE_HOSPITALS.replace("E3: {tier: 1, beds: 100}", f"E3: {{tier: 1, beds: {beds}}}"),
            encoding="utf-8",
        )
        m = drgsim.run(study).manifest
        hashes.append((m["scenario_sha256"], m["resolved_scenario_sha256"]))
    assert hashes[0][0] == hashes[1][0]  # the file itself did not change
    assert hashes[0][1] != hashes[1][1]  # what ran did
