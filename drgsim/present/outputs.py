"""A run's outputs, written one way for `drgsim run` and for Python: tables, figures, report."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drgsim.records import results

#: What writes a run's waterfall data into its directory from its tables (write_waterfall).
Explain = Callable[[Path, dict[str, Any]], Any]


@dataclasses.dataclass(repr=False)
class Result(results.Result):
    """A run's tables as pandas DataFrames, with methods that write what `drgsim run` writes."""

    # writes the report's waterfall data (drgsim.scale.explain.write_waterfall, set by drgsim.run)
    explain: Explain | None = dataclasses.field(default=None, compare=False)

    def report(
        self, out: str | Path, lang: str | None = None, *, force: bool = False, svg: bool = False
    ) -> Path:
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
        svg : bool
            Also write each figure as SVG beside its PNG (``drgsim run --svg``).

        Returns
        -------
        Path
            The output directory.
        """
        from drgsim.records.outdir import check_out, staged

        out = Path(out)
        check_out(out, force, flag="out")
        with staged(out, force) as stage:
            write(self, stage, lang=lang, explain=self.explain, svg=svg)
        return out

    def plots(self, out: str | Path, lang: str | None = None, *, svg: bool = False) -> list[Path]:
        """Draw the run's figures (PNG, and with `svg` SVG too) into `out/plots/` in Chinese or
        `out/plots/en/` in English, as `drgsim run` (with `--svg`) does; return the paths written.

        `lang` is "zh" or "en" (default: Chinese for a region with a Chinese name). The run is
        written to a temporary directory first, as `drgsim run` writes it, so that figures drawn
        from its files (the waterfall of explain.json) are the command's too.
        """
        import tempfile

        from drgsim.present.report import PAGES

        lang = lang or default_lang(self.scenario.region.name)
        folder = PAGES[lang][1]
        target = Path(out) / folder
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".drgsim-plots-", dir=Path(out)) as tmp:
            write(self, Path(tmp), lang=lang, explain=self.explain, svg=svg)
            written = []
            for path in sorted((Path(tmp) / folder).iterdir()):
                if path.is_file():
                    shutil.copyfile(path, target / path.name)
                    written.append(target / path.name)
        return written


def as_result(base: results.Result, explain: Explain | None = None) -> Result:
    """The same run's tables, with the methods that write its outputs."""
    return Result(**base.held(), explain=explain)  # a deferred table still to be made


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
    explain: Explain | None = None,
    svg: bool = False,
) -> None:
    """Write manifest.json, the tables and (with `report`) the figures (PNG, with `svg` SVG too)
    and report into `directory`.

    The figures are drawn from the tables as held here while the tables are written and
    `explain` (drgsim.scale.explain.write_waterfall) writes the report's waterfall data; the
    report then reads the tables as held here, with the manifest as written.
    """
    if not report:
        _write_tables(result, directory)
        return
    from drgsim.present.report import build_report

    tables = results.as_tables(result)  # the figures need no file: they start at once

    def tables_then_explain() -> None:
        _write_tables(result, directory)
        tables["manifest"] = results.written_manifest(directory)
        if explain is not None:
            explain(directory, tables)

    lang = lang or default_lang(result.scenario.region.name)
    for i, one in enumerate(("zh", "en") if lang == "both" else (lang,)):
        build_report(
            directory, one, svg=svg, tables=tables, explain=tables_then_explain if i == 0 else None
        )


def _write_tables(result: results.Result, directory: Path) -> None:
    """Write the tables and manifest.json, with the streamed case parts collected."""
    results.write_tables(result, directory)
    shutil.rmtree(directory / ".parts", ignore_errors=True)  # streamed case parts, now collected
