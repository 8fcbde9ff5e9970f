"""One self-contained report.html of a run: the scenario, key numbers, figures and tables."""

from __future__ import annotations

import base64
import hashlib
import html
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from drgsim.present import drawing, findings, fonts, labels, plots
from drgsim.present.findings_text import sentence as finding_sentence
from drgsim.present.parameters import as_text, parameter_table, parameters
from drgsim.present.run_info import run_information
from drgsim.present.summary import BUDGET_PARTS, budget_parts, per_region, totals
from drgsim.records.results import read
from drgsim.records.run_scenario import resolved_sha256
from drgsim.scenario.loader import load_scenario
from drgsim.scenario.schema import Scenario
from drgsim.scenario.yamlio import read_yaml

FONT_NAME = "drgsim CJK"
FEN_PER_YI = 1e10
FEN_PER_WAN = 1e6
FEN_PER_MILLION = 1e8
YUAN_PER_WAN = 1e4
SIDES = ("mean", "lo", "hi")

CSS = """
body{font-family:"drgsim CJK","Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",
"Helvetica Neue",Arial,sans-serif;margin:2rem auto;max-width:1180px;padding:0 1rem;
color:#222;line-height:1.5}
h1{font-size:1.6rem;margin-bottom:.3rem}h2{font-size:1.25rem;border-bottom:1px solid #ddd;
padding-bottom:.2rem;margin-top:2rem}
.lead{font-size:1.05rem}.note{color:#8a5300;background:#fff6e5;padding:.4rem .6rem}
dl.key{display:grid;grid-template-columns:max-content auto;gap:.2rem 1.2rem}
dl.key dt{font-weight:600}dl.key dd{margin:0}
figure{margin:1.5rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9rem;color:#555}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.2rem .45rem;vertical-align:top}
th{background:#f3f3f3;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fafafa}td.set{font-weight:600;color:#1a5e20}
table.params td:nth-child(2),table.params td:nth-child(3){max-width:22rem;word-break:break-word}
details{margin:.5rem 0}summary{cursor:pointer;color:#335}
footer{margin-top:2rem;font-size:.8rem;color:#777}
"""

# Counts the figures that loaded, for the browser test; the page needs no script to read.
LOAD_SCRIPT = (
    "window.addEventListener('load',function(){var m=document.images,n=0;"
    "for(var i=0;i<m.length;i++){if(m[i].complete&&m[i].naturalWidth>0){n++;}}"
    "document.body.dataset.loaded=String(n);document.body.dataset.figures=String(m.length);});"
)


#: Where each language's report and figures go in a run's directory: side by side, so that
#: building one language never overwrites the other's.
PAGES = {"zh": ("report.html", "plots"), "en": ("report.en.html", "plots/en")}


def report_name(lang: str) -> str:
    """The report file of `lang` in a run's directory (report.html, report.en.html)."""
    return PAGES[labels.check_lang(lang)][0]


def build_report(
    out_dir: Path,
    lang: str = "zh",
    *,
    svg: bool = False,
    tables: dict[str, Any] | None = None,
    explain: Callable[[], Any] | None = None,
) -> Path:
    """Draw a run's figures and write the report of `lang` into `out_dir` (`report.html` in
    Chinese with `plots/`, `report.en.html` in English with `plots/en/`).

    The figures are PNG files, and with `svg` SVG files too. `tables` are the run's tables as
    `read(out_dir)` gives them (read when not given); `explain` runs while the other figures are
    drawn (it writes explain.json, and with `drgsim run` the tables too), before the waterfall is.
    """
    name, folder = PAGES[labels.check_lang(lang)]
    out_dir = Path(out_dir)
    tables = read(out_dir) if tables is None else tables
    finish: Callable[[list[Path]], str] | None = None

    def meanwhile() -> None:  # while the workers draw: explain.json, then all but the figures
        nonlocal finish
        if explain is not None:
            explain()
        finish = prepare(tables, lang)

    paths = drawing.draw(tables, out_dir, lang, folder, svg=svg, meanwhile=meanwhile)
    assert finish is not None
    page = finish([p for p in paths if p.suffix == ".png"])
    target = out_dir / name
    tmp = out_dir / f".{name}.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, target)
    return target


def render(tables: dict[str, Any], pngs: list[Path], lang: str) -> str:
    """The report's HTML from the tables and the figures' PNG files."""
    return prepare(tables, lang)(pngs)


def prepare(tables: dict[str, Any], lang: str) -> Callable[[list[Path]], str]:
    """The report's HTML worked out from the tables, but for its figures: what gives the page
    from the figures' PNG files once they are drawn."""
    manifest = tables["manifest"]
    scn, notes, set_keys = scenario_of(manifest, lang, tables.get("scenario"))
    year, reps = plots.last_year(tables), int(tables["region_year"]["replication"].nunique())
    name = str(manifest.get("scenario", scn.name))
    body = [
        f"<h1>{_e(_t('report.title', lang, scenario=name))}</h1>",
        f"<p class='lead'>{_e(sentence(tables, scn, lang))}</p>",
    ]
    if scn.description:
        body.append(f"<p>{_e(scn.description)}</p>")
    body += [f"<p class='note'>{_e(n)}</p>" for n in notes]
    body.append(f"<h2 id='findings'>{_e(_t('report.findings', lang, year=year, reps=reps))}</h2>")
    body.append(findings_html(tables, lang))
    body.append(f"<h2>{_e(_t('report.key_numbers', lang, year=year, reps=reps))}</h2>")
    body.append(key_numbers(tables, lang))
    if "region" in tables["region_year"].columns:
        body.append(f"<h2 id='regions'>{_e(_t('report.regions', lang, year=year, reps=reps))}</h2>")
        body.append(region_tables(tables, lang))
    body.append(f"<h2>{_e(_t('report.figures', lang))}</h2>")
    head, body = body, []
    skipped = plots.skipped(tables)
    if skipped:
        body.append(f"<h3>{_e(_t('report.skipped', lang))}</h3><ul>")
        body += [f"<li>{_e(_t(k, lang))}</li>" for k in skipped]
        body.append("</ul>")
    body.append(f"<h2>{_e(_t('report.settlement', lang, year=year, reps=reps))}</h2>")
    body.append(settlement_tables(tables, lang))
    body.append(f"<h2>{_e(_t('report.budget_parts', lang, year=year, reps=reps))}</h2>")
    body.append(budget_table(tables, lang))
    body.append(f"<h2 id='audit'>{_e(_t('report.audit', lang, year=year, reps=reps))}</h2>")
    body.append(audit_table(tables, lang))
    body.append(f"<h2>{_e(_t('report.comparison', lang))}</h2>")
    body.append(comparison_tables(tables, lang))
    body.append(f"<h2>{_e(_t('report.variants', lang))}</h2>")
    body.append(variant_table(scn, lang))
    body.append(f"<h2>{_e(_t('report.parameters', lang))}</h2>")
    body.append(f"<p>{_e(_t('report.param_note', lang))}</p>")
    body.append(parameter_table(parameters(scn, set_keys), lang))
    body.append(f"<h2 id='run'>{_e(_t('report.run', lang))}</h2>")
    body.append(run_table(manifest, lang))
    title = _e(_t("report.title", lang, scenario=name))
    footer = f"\n<footer>drgsim {_e(str(manifest.get('drgsim_version', '')))}</footer>"

    def with_figures(pngs: list[Path]) -> str:
        figures = [figure(png, plots.caption(png.stem, tables, lang)) for png in pngs]
        return page(title, "\n".join([*head, *figures, *body]) + footer, lang)

    return with_figures


def page(title: str, content: str, lang: str) -> str:
    """A self-contained HTML page: `title` (escaped) and `content` with the subset font inline."""
    font = base64.b64encode(fonts.subset_otf(title + _visible(content))).decode("ascii")
    face = (  # none without a Chinese font that may be embedded: the reader's own then
        f"@font-face{{font-family:'{FONT_NAME}';"
        f"src:url(data:font/otf;base64,{font}) format('opentype');}}"
        if font
        else ""
    )
    return (
        "<!DOCTYPE html>\n"
        f"<html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title>"
        f"<style>{face}{CSS}</style><script>{LOAD_SCRIPT}</script></head>\n<body>\n"
        + content
        + "\n</body></html>\n"
    )


def scenario_of(
    manifest: Mapping[str, Any], lang: str, at_hand: Scenario | None = None
) -> tuple[Scenario, list[str], set[str]]:
    """The run's scenario from its file, or the defaults; notes on that; the keys the file set.

    `at_hand` is the run's own scenario, when the run is at hand: it is taken for the file's,
    unbuilt, where the manifest says the run was the file's alone (no overrides, the file's
    bytes and the resolved scenario's hash those recorded).
    """
    file = manifest.get("scenario_file")
    if not file:
        return Scenario(), [_t("report.scenario_none", lang)], set()
    path = Path(str(file))
    try:
        _, lines = read_yaml(path)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        scn = at_hand if _is_the_files(at_hand, manifest, sha) else load_scenario(path)
    except Exception:  # any unreadable or invalid file: fall back to the defaults and say so
        return Scenario(), [_t("report.scenario_missing", lang, file=str(file))], set()
    assert scn is not None
    notes = []
    if manifest.get("scenario_sha256") and sha != manifest["scenario_sha256"]:
        notes.append(_t("report.scenario_changed", lang, file=str(file)))
    return scn, notes, {k for k in lines if k}


def _is_the_files(scn: Scenario | None, manifest: Mapping[str, Any], sha: str) -> bool:
    """Whether `scn` is what the run's scenario file gives: the run had no overrides, the file
    has the bytes it had and `scn` the resolved hash the manifest recorded."""
    want = manifest.get("resolved_scenario_sha256")
    return (
        scn is not None
        and want is not None
        and not manifest.get("overrides")
        and sha == manifest.get("scenario_sha256")
        and resolved_sha256(scn) == want
    )


def sentence(tables: dict[str, Any], scn: Scenario, lang: str) -> str:
    """The scenario in one sentence."""
    manifest = tables["manifest"]
    st = tables["settlement"]
    return _t(
        "report.sentence",
        lang,
        scenario=manifest.get("scenario", scn.name),
        region=scn.region.name if lang == "zh" else _region_en(scn.region.name),
        years=int(tables["region_year"]["year"].nunique()),
        start=int(tables["region_year"]["year"].min()),
        hospitals=int(st["hospital"].nunique()),
        admissions=_first_year_cases(tables),
        variants=len(plots.variants(tables)),
        reps=int(tables["region_year"]["replication"].nunique()),
        seed=manifest.get("seed", scn.seed),
    )


def key_numbers(tables: dict[str, Any], lang: str) -> str:
    """Budget, reserve, point value, paid and retained of the baseline's last year."""
    ry = tables["region_year"]
    each = ry[(ry["variant"] == plots.BASELINE) & (ry["year"] == plots.last_year(tables))]
    base = totals(each)
    funds = each.groupby("fund", sort=False) if "fund" in each.columns else [("", each)]
    pv_text = "; ".join((f"{fund}: " if fund else "") + _pv(g, lang) for fund, g in funds)
    rows = [
        ("report.budget", _big(base["budget_fen"].mean(), lang)),
        ("report.reserve", _big(base["reserve_fen"].mean(), lang)),
        ("report.point_value", pv_text),
        ("report.paid", _big(base["paid_fen"].mean(), lang)),
        ("report.retained", _small(base["retained_fen"].mean(), lang)),
    ]
    items = "".join(f"<dt>{_e(_t(k, lang))}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    return f"<dl class='key'>{items}</dl>"


def _pv(rows: pd.DataFrame, lang: str) -> str:
    """A fund's point value: the mean with its range over the replications, and in a
    many-region run over regions × replications and over the regions' means, each named."""
    pv = rows["point_value"]
    if "region" not in rows.columns:
        return _t("report.pv", lang, value=pv.mean(), lo=pv.min(), hi=pv.max())
    means = rows.groupby("region", sort=False)["point_value"].mean()
    return _t(
        "report.pv_regions",
        lang,
        value=pv.mean(),
        lo=pv.min(),
        hi=pv.max(),
        mean_lo=means.min(),
        mean_hi=means.max(),
    )


def region_tables(tables: dict[str, Any], lang: str) -> str:
    """A many-region run's baseline in its last year: all regions together, then region by
    region (hospitals, cases, budget, paid, retained in 万元 and each fund's point value)."""
    ry = tables["region_year"]
    ry = ry[(ry["variant"] == plots.BASELINE) & (ry["year"] == plots.last_year(tables))]
    st = tables["settlement"]
    st = st[(st["variant"] == plots.BASELINE) & (st["year"] == plots.last_year(tables))]
    first = st[st["replication"] == st["replication"].min()]
    hospitals = first.groupby("region", sort=False)["hospital"].size()
    each = per_region(ry)
    funds = ry.groupby("fund", sort=False) if "fund" in ry.columns else [("", ry)]
    pv = {
        str(fund): rows.groupby("region", sort=False)["point_value"].mean() for fund, rows in funds
    }
    head = [
        _t("col.region", lang),
        _t("col.hospitals", lang),
        _t("col.cases", lang),
        _t("col.budget", lang),
        _t("col.paid", lang),
        _t("col.retained", lang),
        _t("col.point_value", lang),
    ]

    def row(name: str, count: float, money: pd.Series, value: str) -> list[str]:
        return [
            _e(name),
            f"{count:,.0f}",
            f"{money['cases']:,.0f}",
            *(f"{money[c] / FEN_PER_WAN:,.1f}" for c in ("budget_fen", "paid_fen", "retained_fen")),
            _e(value),
        ]

    def values(region: str) -> str:
        return " / ".join(f"{f + ' ' if f else ''}{v[region]:.4f}" for f, v in pv.items())

    spread = " / ".join(
        f"{f + ' ' if f else ''}" + _t("report.pv_region_means", lang, lo=v.min(), hi=v.max())
        for f, v in pv.items()
    )
    total = [row(_t("report.national", lang), hospitals.sum(), each.sum(), spread)]
    rows = [row(str(r), hospitals.get(r, 0), each.loc[r], values(str(r))) for r in each.index]
    return (
        f"<p>{_e(_t('report.regions_note', lang, count=len(each)))}</p>"
        + _table(head, total, numeric_from=1, css="national")
        + f"<details><summary>{_e(_t('report.regions_each', lang, count=len(each)))}</summary>"
        + _table(head, rows, numeric_from=1, css="regions")
        + "</details>"
    )


def findings_html(tables: dict[str, Any], lang: str) -> str:
    """The run's findings as lists of sentences, the baseline's first, then each variant's."""
    by_topic: dict[str, list[str]] = {}
    for f in findings.findings(tables):
        by_topic.setdefault(f.topic, []).append(finding_sentence(f, lang))
    out = []
    for topic, sentences in by_topic.items():
        head = (
            _t("report.findings_baseline", lang)
            if topic == plots.BASELINE
            else _t("report.findings_variant", lang, variant=labels.variant(topic, lang))
        )
        items = "".join(f"<li>{_e(s)}</li>" for s in sentences)
        out.append(f"<h3>{_e(head)}</h3><ul class='findings'>{items}</ul>")
    return "".join(out)


#: The audit table's columns: audit.parquet's counts, deducted points and money recovered.
AUDIT_COUNTS = ("claims", "screened", "sampled", "inspected", "reviewed", "confirmed")


def audit_table(tables: dict[str, Any], lang: str) -> str:
    """What the audit did per variant and act in the last year: claims carrying the act,
    screened, sampled, inspected, reviewed, caught, points deducted and money recovered (万元);
    summed over hospitals, means over replications. Acts no claim carried and no route reached
    are left out."""
    a = tables.get("audit")
    if a is None or a.empty:
        return f"<p>{_e(_t('report.audit_none', lang))}</p>"
    a = a[a["year"] == plots.last_year(tables)]
    shown = [*AUDIT_COUNTS, "deducted_points", "recovered_fen"]
    per_rep = a.groupby(["variant", "act", "replication"], sort=False)[shown].sum()
    mean = per_rep.groupby(level=["variant", "act"], sort=False).mean()
    head = [
        _t("col.variant", lang),
        _t("col.act", lang),
        *(_t(f"col.audit_{c}", lang) for c in shown),
    ]
    rows = []
    for v in plots.variants(tables):
        if v not in mean.index.get_level_values("variant"):
            continue
        for act, r in mean.loc[v].iterrows():
            if not r.any():
                continue
            name = _t("report.audit_no_act", lang) if act == "none" else labels.act(str(act), lang)
            rows.append(
                [
                    _e(labels.variant(v, lang)),
                    _e(name),
                    *(f"{r[c]:,.1f}" for c in AUDIT_COUNTS),
                    f"{r['deducted_points']:,.1f}",
                    f"{r['recovered_fen'] / FEN_PER_WAN:,.2f}",
                ]
            )
    note = f"<p>{_e(_t('report.audit_note', lang))}</p>"
    return note + _table(head, rows, numeric_from=2)


def figure(png: Path, caption: str) -> str:
    """A figure embedded as a base64 PNG, with its title as alt text and caption."""
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    return (
        f"<figure id='fig-{_e(png.stem)}'><img src='data:image/png;base64,{data}' "
        f"alt='{_e(caption)}'><figcaption>{_e(caption)}</figcaption></figure>"
    )


def settlement_tables(tables: dict[str, Any], lang: str) -> str:
    """The baseline's last-year settlement by hospital group, and every hospital in a fold."""
    year = plots.last_year(tables)
    g = plots.grouped(tables["settlement"], lang)
    g = g[(g["variant"] == plots.BASELINE) & (g["year"] == year)]
    per_group = g.groupby(["order", "label"], sort=True).mean(numeric_only=True).reset_index()
    st = tables["settlement"]
    st = st[(st["variant"] == plots.BASELINE) & (st["year"] == year)]
    where = ["region"] if "region" in st.columns else []
    per_hospital = (
        st.groupby([*where, "hospital", "name"], sort=False).mean(numeric_only=True).reset_index()
    )
    regions = per_hospital["region"] if where else [""] * len(per_hospital)
    per_hospital["label"] = [
        f"{r + ' · ' if r else ''}{h} · {labels.hospital(h, n, lang)}"
        for r, h, n in zip(regions, per_hospital["hospital"], per_hospital["name"], strict=True)
    ]
    return (
        _settlement_html(per_group, lang)
        + f"<details><summary>{_e(_t('report.all_hospitals', lang))}</summary>"
        + _settlement_html(per_hospital, lang)
        + "</details>"
    )


#: What the budget table shows besides its parts: money inside "paid", by where it came from.
PAID_FROM = ("reserve_released_fen", "floor_topup_fen", "overrun_shared_fen")


def budget_table(tables: dict[str, Any], lang: str) -> str:
    """Where every fen of each variant's last-year budget went: parts that add up to it (万元)."""
    ry = tables["region_year"]
    ry = budget_parts(ry[ry["year"] == plots.last_year(tables)])
    shown = ["budget_fen", *BUDGET_PARTS, *(c for c in PAID_FROM if c in ry.columns)]
    # summed over a replication's funds (one row each), then the mean over replications
    per_rep = ry.groupby(["variant", "replication"], sort=False)[shown].sum()
    mean = per_rep.groupby(level="variant", sort=False).mean()
    head = [_t("col.variant", lang), *(_t(f"col.{c.removesuffix('_fen')}", lang) for c in shown)]
    rows = [
        [
            _e(labels.variant(str(v), lang)),
            *(f"{float(x) / FEN_PER_WAN:,.1f}" for x in mean.loc[v, shown].to_numpy()),
        ]
        for v in plots.variants(tables)
        if v in mean.index
    ]
    return f"<p>{_e(_t('report.budget_note', lang))}</p>" + _table(head, rows, numeric_from=1)


def comparison_tables(tables: dict[str, Any], lang: str) -> str:
    """Each variant's change in final payment and in margin by hospital group, and by hospital
    in a fold."""
    names = plots.variants(tables)[1:]
    if not names:
        return f"<p>{_e(_t('report.no_variants', lang))}</p>"
    change = plots.who_pays(tables, lang)
    groups = list(dict.fromkeys(change["label"]))
    head = [_t("col.hospital", lang), *[labels.variant(v, lang) for v in names]]
    first = _first_rows(change, ["label", "variant"])
    rows = []
    for label in groups:
        cells = [_e(label)]
        for v in names:
            r = first[(label, v)]
            cells.append(_both([r[s] for s in SIDES], [r[f"margin_{s}"] for s in SIDES], lang))
        rows.append(cells)
    out = _table(head, rows, numeric_from=1)
    comparison = tables.get("comparison")
    if comparison is not None and len(comparison):
        year = plots.last_year(tables)
        c = comparison[comparison["year"] == year]
        st = tables["settlement"]
        regions = c["region"] if "region" in c.columns else pd.Series("", index=c.index)
        st_regions = st["region"] if "region" in st.columns else [""] * len(st)
        names_of = dict(zip(zip(st_regions, st["hospital"], strict=True), st["name"], strict=True))
        found = _first_rows(
            c.assign(_region=regions.to_numpy()), ["_region", "hospital", "variant"]
        )
        rows = []
        for region, h in dict.fromkeys(zip(regions, c["hospital"], strict=True)):
            name = labels.hospital(h, str(names_of.get((region, h), "")), lang)
            cells = [_e(f"{region + ' · ' if region else ''}{h} · {name}")]
            for v in names:
                one = found.get((region, h, v))
                cells.append(
                    _both(
                        [one[f"final_fen_change_{s}"] / FEN_PER_WAN for s in SIDES],
                        [one[f"margin_yuan_change_{s}"] / YUAN_PER_WAN for s in SIDES],
                        lang,
                    )
                    if one is not None
                    else ""
                )
            rows.append(cells)
        out += (
            f"<details><summary>{_e(_t('report.comparison_hospitals', lang))}</summary>"
            + _table(head, rows, numeric_from=1)
            + "</details>"
        )
    return out


def _first_rows(df: pd.DataFrame, keys: list[str]) -> dict[tuple[Any, ...], dict[Any, Any]]:
    """Each key's first row of `df`, as a mapping of column to value."""
    out: dict[tuple[Any, ...], dict[Any, Any]] = {}
    for row in df.to_dict("records"):
        out.setdefault(tuple(row[k] for k in keys), row)
    return out


def variant_table(scn: Scenario, lang: str) -> str:
    """The variants and their dotted overrides of the baseline."""
    if not scn.variants:
        return f"<p>{_e(_t('report.no_variants', lang))}</p>"
    rows = [
        [
            _e(f"{name} · {labels.variant(name, lang)}"),
            "<br>".join(_e(f"{k}: {as_text(v)}") for k, v in overrides.items()),
        ]
        for name, overrides in scn.variants.items()
    ]
    return _table([_t("col.variant", lang), _t("col.overrides", lang)], rows)


def run_table(manifest: Mapping[str, Any], lang: str) -> str:
    """The manifest of the run as labelled rows in `lang`."""
    rows = [[_e(label), _e(value)] for label, value in run_information(manifest, lang)]
    return _table([_t("info.item", lang), _t("info.value", lang)], rows, css="run")


def _settlement_html(df: pd.DataFrame, lang: str) -> str:
    """Rows of hospitals (or groups) with cases, CMI, coefficient and money in 万元."""
    head = [
        _t("col.hospital", lang),
        _t("col.tier", lang),
        _t("col.cases", lang),
        _t("col.cmi", lang),
        _t("col.coefficient", lang),
        _t("col.prepaid", lang),
        _t("col.incentive", lang),
        _t("col.deduction", lang),
        _t("col.final", lang),
        _t("col.margin", lang),
    ]
    rows = [
        [
            _e(str(r["label"])),
            f"{int(r['tier'])}",
            f"{r['cases']:,.0f}",
            f"{r['cmi']:.3f}",
            f"{r['coefficient']:.3f}",
            f"{r['prepaid_fen'] / FEN_PER_WAN:,.1f}",
            f"{r['incentive_fen'] / FEN_PER_WAN:,.1f}",
            f"{r['deduction_fen'] / FEN_PER_WAN:,.1f}",
            f"{r['final_fen'] / FEN_PER_WAN:,.1f}",
            f"{r['margin_yuan'] / 1e4:,.1f}",
        ]
        for _, r in df.iterrows()
    ]
    return _table(head, rows, numeric_from=1)


def _table(
    head: list[str], rows: list[list[str]], *, numeric_from: int | None = None, css: str = ""
) -> str:
    """An HTML table; header cells are escaped here, body cells must already be HTML."""
    cls = f" class='{css}'" if css else ""
    out = [f"<table{cls}><thead><tr>", *[f"<th>{_e(h)}</th>" for h in head], "</tr></thead><tbody>"]
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            numeric = numeric_from is not None and i >= numeric_from
            cells.append(f"<td class='n'>{cell}</td>" if numeric else f"<td>{cell}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _both(payment: Iterable[float], margin: Iterable[float], lang: str) -> str:
    """A cell of "who gains": the change in final payment and, below it, in margin (HTML)."""
    return (
        f"{_e(_t('report.payment_short', lang))} {_interval(*payment)}<br>"
        f"{_e(_t('report.margin_short', lang))} {_interval(*margin)}"
    )


def _interval(mean: float, lo: float, hi: float) -> str:
    """`mean [lo, hi]` with one decimal; the interval left out when it is undefined."""
    if math.isnan(mean):
        return ""
    if math.isnan(lo) or math.isnan(hi):
        return f"{mean:+,.1f}"
    return f"{mean:+,.1f} [{lo:+,.1f}, {hi:+,.1f}]"


def _big(fen: float, lang: str) -> str:
    """A large amount of money: 亿元 in zh, million yuan in en."""
    return _t("report.big", lang, yi=fen / FEN_PER_YI, million=fen / FEN_PER_MILLION)


def _small(fen: float, lang: str) -> str:
    """A smaller amount of money: 万元 in zh, million yuan in en."""
    return _t("report.small", lang, wan=fen / FEN_PER_WAN, million=fen / FEN_PER_MILLION)


def _first_year_cases(tables: dict[str, Any]) -> float:
    """The baseline's admissions in the run's first year, mean over replications."""
    ry = totals(tables["region_year"])
    base = ry[(ry["variant"] == plots.BASELINE) & (ry["year"] == ry["year"].min())]
    return float(base["cases"].mean())


def _visible(page: str) -> str:
    """The text of an HTML fragment without its tags and embedded images."""
    return re.sub(r"<[^>]*>", " ", page)


def _region_en(name: str) -> str:
    """The region's name in English where drgsim knows it."""
    return {"汕尾市": "Shanwei"}.get(name, name)


def _t(key: str, lang: str, **values: Any) -> str:
    """A label, shorthand for labels.text."""
    return labels.text(key, lang, **values)


def _e(text: str) -> str:
    """HTML-escaped text."""
    return html.escape(text, quote=True)
