"""The findings of a run (present/findings.py) as sentences in Chinese or English."""

from __future__ import annotations

import math
from typing import Any

from drgsim.present import labels
from drgsim.present.findings import Finding, Who

#: Money that is a change, shown with its sign.
SIGNED = ("margin_yuan", "change_yuan", "lo_yuan", "hi_yuan")
#: Shares that are a change, shown with their sign.
SIGNED_SHARES = ("margin_share", "change_share")


def sentence(finding: Finding, lang: str) -> str:
    """One finding as a sentence in `lang`."""
    values: dict[str, Any] = {}
    for name, value in finding.values.items():
        if name == "who":
            values[name] = who(value, lang)
        elif name == "measure":
            values[name] = labels.text(f"measure.{value}", lang)
        elif name == "fund":
            values[name] = labels.text("finding.fund", lang, fund=value) if value else ""
        elif name == "kept":
            sep = "、" if lang == "zh" else ", "
            values[name] = sep.join(
                f"{labels.text(f'col.{part}', lang)} {money(yuan, lang)}" for part, yuan in value
            )
        elif name.endswith("_yuan"):
            values[name] = money(value, lang, signed=name in SIGNED)
        elif name.endswith("_share"):
            values[name] = share(value, signed=name in SIGNED_SHARES)
        elif name.endswith("_pv"):
            values[name] = f"{value:.4f}"
        else:
            values[name] = value
    if "change_yuan" in values:
        values["interval"] = interval(finding.values, lang)
    return labels.text(finding.key, lang, **values)


def interval(values: Any, lang: str) -> str:
    """A change's 95% interval, saying so when it includes 0 or is undefined."""
    lo, hi = values["lo_yuan"], values["hi_yuan"]
    if math.isnan(lo) or math.isnan(hi):
        return labels.text("finding.no_interval", lang)
    key = "finding.interval" if values["sure"] else "finding.unsure"
    return labels.text(key, lang, lo=money(lo, lang, signed=True), hi=money(hi, lang, signed=True))


def who(w: Who, lang: str) -> str:
    """A hospital's or a tier group's name, with its region in a many-region run."""
    if w.count:
        name = labels.other_tier(w.tier, w.count, lang)
        name = name[:1].lower() + name[1:]  # inside a sentence: "the other tier-1 hospitals"
    else:
        name = labels.hospital(w.hospital, w.name, lang)
        if not labels.is_generated(w.hospital) and lang == "zh":
            name = f"{w.hospital} {name}"
    if not w.region:
        return name
    return f"{w.region}{name}" if lang == "zh" else f"{name} ({w.region})"


def money(yuan: float, lang: str, *, signed: bool = False) -> str:
    """An amount in 万元 (zh) or million yuan (en), or in yuan where it is smaller than one."""
    small = abs(yuan) < (1e4 if lang == "zh" else 1e6)
    key = ("finding.yuan" if small else "finding.wan") + ("_signed" if signed else "")
    return labels.text(key, lang, yuan=yuan, wan=yuan / 1e4, million=yuan / 1e6)


def share(fraction: float, *, signed: bool = False) -> str:
    """A fraction as a percentage with one decimal."""
    return f"{fraction:+.1%}" if signed else f"{fraction:.1%}"
