"""The report's waterfall: explain.json written with the report, drawn as one step per part."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from drgsim.cli import main
from drgsim.present.waterfall import steps

CATALOGUE = str(Path(__file__).resolve().parent / "golden" / "catalogue.csv")


def _city(variants: dict[str, object]) -> dict[str, object]:
    return {
        "name": "waterfall",
        "seed": 4,
        "years": 1,
        "replications": 1,
        "catalogue": {"source": CATALOGUE},
        "weights": {"overrides": {"ES25": 0.5, "FM19": 2.0, "IB19": 4.0}},
        "region": {"admissions": 150},
        "hospitals": {"H0": {"tier": 3, "beds": 300}, "H1": {"tier": 2, "beds": 100}},
        "other_hospitals": {"count": {3: 0, 2: 0, 1: 0}},
        "variants": variants,
    }


def _run(city: dict[str, object], tmp: Path) -> Path:
    scenario = tmp / "city.yaml"
    scenario.write_text(yaml.safe_dump(city), encoding="utf-8")
    out = tmp / "out"
    assert main(["run", str(scenario), "--out", str(out), "--quiet", "--workers", "1"]) == 0
    return out


def test_each_bar_starts_where_the_parts_before_it_end_and_the_last_is_the_total() -> None:
    parts = [{"payment_fen": 2_000_000}, {"payment_fen": -3_500_000}, {"payment_fen": 0}]
    assert steps(parts, "payment_fen") == [(0.0, 2.0), (2.0, -3.5), (-1.5, 0.0), (0.0, -1.5)]


def test_a_run_with_a_variant_writes_the_decomposition_and_draws_its_waterfall(
    tmp_path: Path,
) -> None:
    out = _run(_city({"up": {"hospitals.H0.upcoding.rate": 1.0}}), tmp_path)
    answer = json.loads((out / "explain.json").read_text(encoding="utf-8"))
    assert answer["variant"] == "up" and answer["hospital"] in ("H0", "H1")
    assert sum(p["payment_fen"] for p in answer["parts"]) == answer["payment_change_fen"]
    assert len(list(out.glob("plots/**/waterfall.png"))) == 1  # in the run's language
    (page,) = out.glob("report*.html")
    assert "id='fig-waterfall'" in page.read_text(encoding="utf-8")


def test_the_waterfall_numbers_its_replication_as_explain_does(tmp_path: Path) -> None:
    # issue 12: the title said "replication 1" of what `drgsim explain --replication 0` shows
    out = _run(_city({"up": {"hospitals.H0.upcoding.rate": 1.0}}), tmp_path)
    rep = json.loads((out / "explain.json").read_text(encoding="utf-8"))["replication"]
    assert main(["report", str(out), "--lang", "both"]) == 0
    en = (out / "report.en.html").read_text(encoding="utf-8")
    zh = (out / "report.html").read_text(encoding="utf-8")
    caption = re.search(r"id='fig-waterfall'.*?<figcaption>(.*?)</figcaption>", en, re.S)
    assert caption is not None and f"replication {rep})" in caption.group(1)
    caption = re.search(r"id='fig-waterfall'.*?<figcaption>(.*?)</figcaption>", zh, re.S)
    assert caption is not None and f"重复 {rep}）" in caption.group(1)


def test_a_run_without_variants_says_why_it_has_no_waterfall(tmp_path: Path) -> None:
    out = _run(_city({}), tmp_path)
    assert json.loads((out / "explain.json").read_text()) == {"skipped": "the run has no variant"}
    assert not list(out.glob("plots/**/waterfall.png"))


def test_drgsim_report_draws_the_waterfall_in_either_language(tmp_path: Path) -> None:
    out = _run(_city({"v": {"hospitals.H1.induced.rate": 0.3}}), tmp_path)
    for lang, folder in (("zh", out / "plots"), ("en", out / "plots" / "en")):
        (out / "explain.json").unlink()  # as a run made before the waterfall existed
        assert main(["report", str(out), "--lang", lang]) == 0
        assert (out / "explain.json").is_file() and (folder / "waterfall.png").is_file()


def test_why_there_is_no_waterfall_names_no_staging_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from drgsim.errors import DrgsimError
    from drgsim.scale import explain

    staging = tmp_path / ".out.staging.x1"
    staging.mkdir()

    def refuse(out: Path, *args: object, **kwargs: object) -> None:
        raise DrgsimError(f"{out}: a many-region run; explain reads one-region runs")

    monkeypatch.setattr(explain, "open_run", refuse)
    explain.write_waterfall(staging)
    answer = json.loads((staging / "explain.json").read_text(encoding="utf-8"))
    assert answer == {"skipped": "a many-region run; explain reads one-region runs"}


def _upcoding_run(tmp: Path) -> tuple[Path, object]:
    """A city whose variant upcodes every claim of H0 it can, run in process (not written)."""
    import drgsim

    city = _city({"up": {"hospitals.H0.upcoding.rate": 1.0}})
    city["region"] = {"admissions": 400}
    scenario = tmp / "city.yaml"
    scenario.write_text(yaml.safe_dump(city), encoding="utf-8")
    return scenario, drgsim.run(scenario, workers=1)


def _numbers(answer: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in answer.items() if k != "source"}


def test_the_report_explains_from_the_claims_the_run_kept_without_simulating_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 13: the report's waterfall simulated the baseline and a variant again
    from drgsim.scale import evidence, explain, runner

    _, result = _upcoding_run(tmp_path)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the report simulated again")

    with monkeypatch.context() as m:
        m.setattr(evidence, "resimulate", refuse)
        m.setattr(runner, "simulation", refuse)
        m.setattr(runner, "simulate", refuse)
        out = result.report(tmp_path / "out")  # type: ignore[attr-defined]
    kept = json.loads((out / "explain.json").read_text(encoding="utf-8"))
    assert kept["source"] == "kept claims" and kept["variant"] == "up"
    coding = {p["part"]: p["payment_fen"] for p in kept["parts"]}["coding"]
    assert coding != 0  # recoded claims were priced at their baseline points
    (again,) = explain.hospital(out, kept["hospital"], variants=["up"])  # from the files
    assert again["source"] == "re-simulation"
    assert _numbers(again) == _numbers(kept)


def test_a_variant_recoding_where_the_baseline_kept_too_little_takes_the_baseline_again(
    tmp_path: Path,
) -> None:
    from drgsim.records.results import KeptClaims
    from drgsim.scale import explain

    _, result = _upcoding_run(tmp_path)
    kept = result.kept
    assert kept is not None and "H0" in kept.watched["baseline"]
    result.kept = KeptClaims(kept.cases, kept.tariffs, {v: frozenset() for v in kept.watched})
    out = result.report(tmp_path / "out")  # type: ignore[attr-defined]
    answer = json.loads((out / "explain.json").read_text(encoding="utf-8"))
    (again,) = explain.hospital(out, answer["hospital"], variants=["up"])
    assert _numbers(again) == _numbers(answer)
