"""A run's outputs, written one way for `drgsim run` and for Python: tables, figures, report."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drgsim.records import results


class Result(results.Result):
    """A run's tables as pandas DataFrames, with methods that write what `drgsim run` writes."""

    def tables_dict(self) -> dict[str, Any]:
        """The manifest and every table the run has, keyed as `drgsim report` reads them."""
        out: dict[str, Any] = {"manifest": dict(self.manifest)}
        for name in (*results.TABLES, *results.EXTRA_TABLES):
            table = getattr(self, name)
            if table is not None:
                out[name] = table
        return out

    def report(self, out: str | Path, lang: str | None = None, *, force: bool = False) -> Path:
        """Write the tables, figures and report into `out`, as `drgsim run --out OUT` does.

        Parameters
        ----------
        out : str or Path
            The output directory; it is built whole beside itself and swapped in at once.
        lang : {"zh", "en", "both"}, optional
            The report's language: "zh" writes report.html with plots/, "en" report.en.html
            with plots/en/, "both" the two (default: Chinese for a region with a Chinese name).
        force : bool
            Replace a non-empty `out`.

        Returns
        -------
        Path
            The output directory.
        """
        from drgsim.records.outdir import check_out, staged

        out = Path(out)
        check_out(out, force, flag="out")
        with staged(out, force) as stage:
            write(self, stage, lang=lang)
        return out

    def plots(self, out: str | Path, lang: str | None = None) -> list[Path]:
        """Draw the run's figures (PNG and SVG) into `out/plots/` in Chinese or `out/plots/en/` in
        English, as `drgsim run` does; return the paths written.

        `lang` is "zh" or "en" (default: Chinese for a region with a Chinese name).
        """
        from drgsim.present.plots import make_figures
        from drgsim.present.report import PAGES

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        lang = lang or default_lang(self.scenario.region.name)
        return make_figures(self.tables_dict(), out, lang, PAGES[lang][1])


def as_result(base: results.Result) -> Result:
    """The same run's tables, with the methods that write its outputs."""
    import dataclasses

    if isinstance(base, Result):
        return base
    return Result(**{f.name: getattr(base, f.name) for f in dataclasses.fields(base)})


def default_lang(region_name: str) -> str:
    """Chinese for a region with a Chinese name, English otherwise."""
    name = str(region_name)
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in name) else "en"


def write(
    result: results.Result,
    directory: Path,
    *,
    lang: str | None,
    report: bool = True,
    explain: Callable[[Path], Any] | None = None,
) -> None:
    """Write manifest.json, the tables and (with `report`) the figures and report into `directory`.

    `explain` (drgsim.scale.explain.write_waterfall) writes the report's waterfall data first.
    """
    results.write_tables(result, directory)
    shutil.rmtree(directory / ".parts", ignore_errors=True)  # streamed case parts, now collected
    if report:
        if explain is not None:
            explain(directory)
        from drgsim.present.report import build_report

        lang = lang or default_lang(result.scenario.region.name)
        for one in ("zh", "en") if lang == "both" else (lang,):
            build_report(directory, one)
