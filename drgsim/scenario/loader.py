"""Scenario files: YAML in, a validated frozen Scenario out; variants as dotted overrides."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import operator
import re
import types
import typing
from collections.abc import Mapping
from operator import attrgetter
from pathlib import Path
from typing import Any, Literal, cast

from drgsim.acts import DETECTION_KEYS, OLD_AUDIT_KEYS, PENALTY_KEYS
from drgsim.errors import ScenarioError, problem
from drgsim.scenario.schema import (
    FEN_HEADROOM,
    INDICATORS,
    MAX_CASES_PER_MONTH,
    MAX_FEN,
    MAX_FUNDS,
    MAX_HOSPITALS,
    FrozenDict,
    Region,
    Scenario,
)
from drgsim.scenario.yamlio import parse_yaml, read_yaml, shipped_names, shipped_scenarios

BASELINE = "baseline"
_GENERATOR_TIER_TABLES = ("admissions_per_bed", "complexity_tilt", "cost_level", "oop_share")
_NUMBER = re.compile(r"^[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?$")


@dataclasses.dataclass
class _Context:
    """Where values come from, so that each problem names its file and line."""

    file: str | None
    lines: dict[str, int]
    problems: list[str]
    prefix: str = ""

    def fail(self, path: str, value: object, allowed: str) -> None:
        line = self.lines.get(path)
        self.problems.append(problem(self.file, line, self.prefix + path, value, allowed))


def load_scenario(
    source: str | Path | Mapping[str, Any], *, base_dir: Path | None = None
) -> Scenario:
    """Load and validate a scenario from a YAML path, YAML text or a mapping."""
    file: str | None = None
    lines: dict[str, int] = {}
    if isinstance(source, Mapping):
        raw: Any = dict(source)
    elif isinstance(source, Path) or (isinstance(source, str) and "\n" not in source):
        path = Path(source)
        raw, lines = read_yaml(path)
        file = str(path)
        base_dir = base_dir or path.parent
    else:
        raw, lines = parse_yaml(source, "<scenario>")
    ctx = _Context(file, lines, [])
    if not isinstance(raw, Mapping):
        ctx.fail("", raw, "a scenario file must be a mapping of keys")
        raise ScenarioError(ctx.problems)
    raw = _extend(raw, base_dir or Path.cwd(), ctx, seen=(Path(file).resolve(),) if file else ())
    scenario = _build(Scenario, raw, "", ctx)
    if ctx.problems:
        raise ScenarioError(ctx.problems)
    scenario = _finish(scenario, base_dir or Path.cwd(), ctx)
    if ctx.problems:
        raise ScenarioError(ctx.problems)
    for name in scenario.variants:
        variant_scenario(scenario, name, ctx=ctx)
    if ctx.problems:
        raise ScenarioError(ctx.problems)
    return scenario


# What a study says of itself, which a scenario does not take from the preset it extends
NOT_INHERITED = (
    "name",
    "description",
    "seed",
    "years",
    "start_year",
    "replications",
    "variants",
    "sweep",
)
_FILE_KEYS = (("catalogue", "source"), ("cases", "source"))


#: Mappings a file states whole when it states them: a scenario that names its funds names all of
#: them (merged with a preset's, 职工 and 居民 plus a file's `all` would be three funds).
REPLACED_WHOLE = ("funds",)


def _extend(
    raw: Mapping[str, Any], base_dir: Path, ctx: _Context, seen: tuple[Path, ...]
) -> dict[str, Any]:
    """The raw scenario with the preset it `extends` (and that preset's own) under its keys."""
    out = dict(raw)
    ref = out.get("extends")
    if ref is None:
        return out
    shipped = shipped_scenarios()
    names = shipped_names()
    allowed = (
        f"a shipped scenario ({', '.join(names)}) or a YAML file path relative to the scenario"
    )
    if not isinstance(ref, str) or not ref.strip():
        ctx.fail("extends", ref, f"expected {allowed}")
        raise ScenarioError(ctx.problems)
    is_name = "/" not in ref and "\\" not in ref and not ref.endswith((".yaml", ".yml"))
    path = (shipped / f"{ref}.yaml") if is_name else (base_dir / ref)
    if not path.is_file():
        ctx.fail("extends", ref, f"no such scenario; allowed: {allowed}")
        raise ScenarioError(ctx.problems)
    path = path.resolve()
    if path in seen:
        chain = " → ".join(p.name for p in (*seen, path))
        ctx.fail("extends", ref, f"a loop ({chain}); allowed: a chain of presets without a loop")
        raise ScenarioError(ctx.problems)
    parent, lines = read_yaml(path)
    parent_ctx = _Context(str(path), lines, [])
    if not isinstance(parent, Mapping):
        parent_ctx.fail("", parent, "a scenario file must be a mapping of keys")
        raise ScenarioError(parent_ctx.problems)
    parent = _extend(parent, path.parent, parent_ctx, (*seen, path))
    _build(Scenario, parent, "", parent_ctx)  # keys, types and ranges, told in the preset's lines
    if parent_ctx.problems:
        raise ScenarioError(parent_ctx.problems)
    for section, name in _FILE_KEYS:  # the preset's files are relative to the preset
        value = (
            parent.get(section, {}).get(name) if isinstance(parent.get(section), Mapping) else None
        )
        if isinstance(value, str) and value != "builtin":
            parent[section] = {**parent[section], name: str((path.parent / value).resolve())}
    for name in NOT_INHERITED:
        parent.pop(name, None)
    for name in REPLACED_WHOLE:
        if name in out:
            parent.pop(name, None)
    return _merge(parent, out)


def _merge(
    under: Mapping[Any, Any], over: Mapping[Any, Any], where: tuple[str, ...] = ()
) -> dict[Any, Any]:
    """`over` laid on `under` (at `where` in the scenario): mappings merge key by key, any other
    value replaces."""
    out = dict(under)
    for key, value in over.items():
        below = _match_key(out, str(key), where)
        if isinstance(value, Mapping) and isinstance(out.get(below), Mapping):
            out[below] = _merge(out[below], value, (*where, str(key)))
        else:
            out.pop(below, None)
            out[key] = value
    return out


def variant_names(scenario: Scenario) -> list[str]:
    """The baseline first, then the scenario's variants in file order."""
    return [BASELINE, *scenario.variants]


def variant_scenario(scenario: Scenario, name: str, *, ctx: _Context | None = None) -> Scenario:
    """The scenario of one variant: the baseline with that variant's overrides applied."""
    if name == BASELINE:
        return scenario
    if name not in scenario.variants:
        raise ScenarioError(
            [
                problem(
                    None,
                    None,
                    "variants",
                    name,
                    f"known variants: {', '.join(variant_names(scenario))}",
                )
            ]
        )
    return with_overrides(scenario, scenario.variants[name], label=f"variants.{name}", ctx=ctx)


def with_overrides(
    scenario: Scenario,
    overrides: Mapping[str, Any],
    *,
    label: str = "overrides",
    ctx: _Context | None = None,
) -> Scenario:
    """A new scenario with dotted-key overrides (`settlement.prepay_share: 0.95`) applied."""
    own = ctx is None
    parent = ctx or _Context(None, {}, [])
    raw = to_dict(scenario)
    raw.pop("variants", None)
    lines = {}
    for dotted, value in overrides.items():
        _set_dotted(raw, str(dotted).split("."), value)
        lines[str(dotted)] = parent.lines.get(f"{label}.{dotted}") or 0
    known_lines = {k: v for k, v in lines.items() if v}
    for dotted, line in list(known_lines.items()):  # a problem found at a part of a dotted key
        parts = dotted.split(".")
        for depth in range(1, len(parts)):
            known_lines.setdefault(".".join(parts[:depth]), line)
    if own:  # overrides from no file (--set, a sweep): the label stands where a file would
        sub = _Context(label, known_lines, parent.problems)
    else:
        sub = _Context(parent.file, known_lines, parent.problems, prefix=f"{label}: ")
    before = len(sub.problems)
    for dotted in overrides:
        _check_path(Scenario, str(dotted).split("."), "", sub)
    _check_no_new_hospitals(scenario, overrides, sub)
    if "extends" in overrides:
        sub.fail("extends", overrides["extends"], "a preset is read with the file; not overridable")
    built = scenario
    if len(sub.problems) == before:
        built = _build(Scenario, raw, "", sub)
        if len(sub.problems) == before:
            built = _finish(built, Path("/"), sub, check_files=False)
            built = dataclasses.replace(built, variants=scenario.variants)
    if own and parent.problems:
        raise ScenarioError(parent.problems)
    return built


def _check_no_new_hospitals(
    scenario: Scenario, overrides: Mapping[str, Any], ctx: _Context
) -> None:
    """Refuse an override that would add a hospital: new hospitals are declared in the baseline."""
    known = [str(hid) for hid in scenario.hospitals]
    for dotted, value in overrides.items():
        parts = str(dotted).split(".")
        if parts[0] != "hospitals":
            continue
        if len(parts) > 1:
            named = [parts[1]]
        elif isinstance(value, Mapping):
            named = [str(hid) for hid in value]
        else:
            continue  # not a mapping: the type check reports it
        for hid in named:
            if hid not in known:
                ctx.fail(str(dotted), hid, _unknown_hospital(hid, known))


def _unknown_hospital(hid: str, known: list[str]) -> str:
    """What to say about an override naming a hospital the baseline does not declare."""
    close = difflib.get_close_matches(hid, known, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'? " if close else ""
    shown = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
    return (
        f"no such hospital; {hint}allowed: {shown or 'none'} "
        "(a variant or --set changes hospitals; a new one is declared in the baseline)"
    )


def to_dict(obj: Any) -> Any:
    """Plain dicts and lists of a scenario, as a YAML file would hold them."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return [to_dict(v) for v in obj]
    return obj


def _set_dotted(raw: dict[str, Any], parts: list[str], value: Any) -> None:
    """Set raw[a][b][c] = value for parts [a, b, c], creating mappings on the way."""
    node = raw
    for depth, part in enumerate(parts[:-1]):
        key: Any = _match_key(node, part, tuple(parts[:depth]))
        nxt = node.get(key)
        if not isinstance(nxt, dict):
            nxt = {}
            node[key] = nxt
        node = nxt
    node[_match_key(node, parts[-1], tuple(parts[:-1]))] = value


#: The audit tables keyed by act, where an act's old name (OLD_AUDIT_KEYS) still reads.
AUDIT_TABLES = (("audit", "detection"), ("audit", "penalty"), ("audit", "screening", "recall"))


def _match_key(node: dict[Any, Any], part: str, where: tuple[str, ...] = ()) -> Any:
    """The existing key that a dotted part names (`3` matches the integer key 3); in an audit
    table at `where`, an act's old name (`split`) matches its name (`splitting`) and back."""
    for k in node:
        if str(k) == part:
            return k
    if where in AUDIT_TABLES:
        for old, new in OLD_AUDIT_KEYS.items():
            other = new if part == old else old if part == new else None
            if other is not None and other in node:
                return other
    return part


def _check_path(cls: Any, parts: list[str], path: str, ctx: _Context) -> None:
    """Report a dotted override that names no key of the scenario, with a suggestion."""
    tp: Any = cls
    for i, part in enumerate(parts):
        tp = _strip_optional(tp)
        here = ".".join(parts[: i + 1])
        if dataclasses.is_dataclass(tp):
            names = [f.name for f in dataclasses.fields(tp)]
            if part not in names:
                ctx.fail(here, part, _unknown(part, names))
                return
            tp = _hints(cast(type, tp))[part]
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        else:
            ctx.fail(here, part, f"'{'.'.join(parts[:i])}' has no sub-keys")
            return


def _unknown(key: str, names: list[str]) -> str:
    """The allowed-keys message for an unknown key, with a 'did you mean'."""
    close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown key; {hint}allowed: {', '.join(names)}"


def _strip_optional(tp: Any) -> Any:
    args = typing.get_args(tp)
    if _is_union(tp) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0] if len(rest) == 1 else tp
    return tp


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _build(cls: Any, raw: Any, path: str, ctx: _Context) -> Any:
    """Build dataclass `cls` from a mapping, checking keys, types and ranges."""
    if dataclasses.is_dataclass(raw):
        return raw
    if not isinstance(raw, Mapping):
        ctx.fail(path, raw, f"expected a mapping of keys ({', '.join(_names(cls))})")
        return cls()
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        sub = f"{path}.{key}" if path else str(key)
        if key not in fields:
            ctx.fail(sub, key, _unknown(str(key), list(fields)))
            continue
        kwargs[key] = _convert(hints[key], value, sub, ctx, fields[key].metadata)
    try:
        return cls(**kwargs)
    except TypeError:
        return cls()


@functools.cache
def _hints(cls: Any) -> dict[str, Any]:
    """The type hints of a schema dataclass, worked out once per class (they never change)."""
    return typing.get_type_hints(cls)


def _names(cls: Any) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def _convert(tp: Any, value: Any, path: str, ctx: _Context, meta: Mapping[str, Any]) -> Any:
    """Convert one YAML value to the type `tp`, reporting what is allowed when it does not fit."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if _is_union(tp):
        if value is None and type(None) in args:
            return None
        return _convert(_strip_optional(tp), value, path, ctx, meta)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, path, ctx)
    if origin is Literal:
        if value not in args:
            ctx.fail(path, value, f"allowed: {', '.join(map(str, args))}")
            return args[0]
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            ctx.fail(path, value, "expected a list")
            return ()
        if len(args) == 2 and args[1] is Ellipsis:
            item_types = [args[0]] * len(value)
        else:
            if len(value) != len(args):
                ctx.fail(path, value, f"expected a list of {len(args)} values")
                return tuple(value)
            item_types = list(args)
        return tuple(
            _convert(t, v, f"{path}.{i}", ctx, meta)
            for i, (t, v) in enumerate(zip(item_types, value, strict=True))
        )
    if origin is dict:
        ktype, vtype = args
        if not isinstance(value, Mapping):
            ctx.fail(path, value, "expected a mapping")
            return FrozenDict()
        out = {}
        for k, v in value.items():
            sub = f"{path}.{k}"
            ck = _convert_key(ktype, k, sub, ctx)
            if ck is not None:
                out[ck] = _convert(vtype, v, sub, ctx, meta)
        return FrozenDict(out)
    if tp is Any:
        return value
    return _scalar(tp, value, path, ctx, meta)


def _convert_key(ktype: Any, key: Any, path: str, ctx: _Context) -> Any:
    if ktype is int:
        try:
            return int(str(key))
        except ValueError:
            ctx.fail(path, key, "expected a whole-number key (a tier: 1, 2 or 3)")
            return None
    return str(key)


def _scalar(tp: Any, value: Any, path: str, ctx: _Context, meta: Mapping[str, Any]) -> Any:
    """Check a scalar's type and range."""
    if tp is bool:
        if not isinstance(value, bool):
            ctx.fail(path, value, "expected true or false")
            return False
        return value
    if tp is str:
        if not isinstance(value, str):
            ctx.fail(path, value, "expected text")
            return str(value)
        return value
    if tp in (int, float):
        number = _number(value)
        if number is None:
            kind = "a whole number" if tp is int else "a number"
            bounds = _range_text(meta)
            ctx.fail(path, value, f"expected {kind}" + (f" {bounds}" if bounds else ""))
            return tp(0)
        if tp is int and number != int(number):
            ctx.fail(path, value, "expected a whole number")
            return int(number)
        _check_range(number, path, ctx, meta)
        return int(number) if tp is int else float(number)
    return value


def _number(value: Any) -> float | int | None:
    """A finite number from an int, float or numeric text like '3e8', else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        value = float(value.replace("_", ""))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return None


#: A key's range bounds: the symbol said and the test a number must pass, by schema name.
_BOUNDS = {
    "ge": (">=", operator.ge),
    "gt": (">", operator.gt),
    "le": ("<=", operator.le),
    "lt": ("<", operator.lt),
}


def _range_text(meta: Mapping[str, Any]) -> str:
    """A key's allowed range in words ('' where it has none), e.g. '>= 0 and <= 1'."""
    return " and ".join(
        f"{sym} {meta[name]}" for name, (sym, _) in _BOUNDS.items() if meta.get(name) is not None
    )


def _check_range(number: float, path: str, ctx: _Context, meta: Mapping[str, Any]) -> None:
    """Report a number outside the key's allowed range."""
    inside = all(
        test(number, meta[name])
        for name, (_, test) in _BOUNDS.items()
        if meta.get(name) is not None
    )
    if not inside:
        ctx.fail(path, number, "allowed: " + _range_text(meta))


def _finish(scn: Scenario, base_dir: Path, ctx: _Context, *, check_files: bool = True) -> Scenario:
    """Cross-key checks, defaults that depend on other keys, and file paths made absolute."""
    fail = ctx.fail
    before = len(ctx.problems)
    if len(scn.region.seasonality) != 12 or sum(scn.region.seasonality) <= 0:
        fail(
            "region.seasonality",
            list(scn.region.seasonality),
            "expected 12 non-negative values with a positive sum",
        )
    shares = scn.budget.month_shares
    if shares is not None and (len(shares) != 12 or sum(shares) <= 0):
        fail("budget.month_shares", list(shares), "expected 12 non-negative values, sum > 0")
    _check_funds(scn, fail)
    year_weights = scn.weights.year_weights
    if year_weights is not None and len(year_weights) != scn.weights.reference_years:
        fail(
            "weights.year_weights",
            list(year_weights),
            f"expected one weight per reference year ({scn.weights.reference_years}), oldest first",
        )
    floor, ceiling = scn.point_value.floor, scn.point_value.ceiling
    if floor is not None and ceiling is not None and floor > ceiling:
        fail("point_value.floor", floor, f"expected at most point_value.ceiling ({ceiling})")
    lo, hi = scn.weights.trim_quantiles
    if lo >= hi:
        fail("weights.trim_quantiles", [lo, hi], "expected [low, high] with low < high")
    no_hospitals = not scn.hospitals and not any(scn.other_hospitals.count.values())
    if no_hospitals and scn.regions.count == 0:  # generated regions bring their own hospitals
        fail(
            "hospitals",
            {},
            "expected at least one hospital, in hospitals or other_hospitals, "
            "or a city preset such as `extends: shanwei`",
        )
    tiers_used = {h.tier for h in scn.hospitals.values()}
    tiers_used |= {t for t, n in scn.other_hospitals.count.items() if n > 0}
    for name in ("count", "beds"):
        for tier in getattr(scn.other_hospitals, name):
            if tier not in (1, 2, 3):
                fail(f"other_hospitals.{name}.{tier}", tier, "allowed tiers: 1, 2, 3")
    for table in _GENERATOR_TIER_TABLES:
        missing = sorted(tiers_used - set(getattr(scn.generator, table)))
        if missing:
            fail(
                f"generator.{table}",
                dict(getattr(scn.generator, table)),
                f"expected a value for every tier in use (missing {missing})",
            )
    if scn.coefficient.mode == "tier":
        missing = sorted(tiers_used - set(scn.coefficient.tiers))
        if missing:
            fail(
                "coefficient.tiers",
                dict(scn.coefficient.tiers),
                f"expected a value for every tier in use (missing {missing})",
            )
    for tier in sorted(set(scn.other_hospitals.count) - set(scn.other_hospitals.beds)):
        if scn.other_hospitals.count[tier] > 0:
            fail(
                "other_hospitals.beds",
                dict(scn.other_hospitals.beds),
                f"expected beds for tier {tier}",
            )
    gen = scn.generator
    if gen.transfer + gen.death + gen.against_advice > 1:
        fail("generator.transfer", gen.transfer, "transfer + death + against_advice must be <= 1")
    bands = scn.outliers.high
    if not bands:
        fail("outliers.high", [], "expected at least one band; the last with up_to: null")
    elif bands[-1].up_to is not None:
        fail(
            f"outliers.high.{len(bands) - 1}.up_to",
            bands[-1].up_to,
            "the last band must have up_to: null (no upper bound)",
        )
    previous = 0.0
    for i, band in enumerate(bands[:-1]):
        if band.up_to is None:
            fail(f"outliers.high.{i}.up_to", None, "only the last band may have up_to: null")
        elif band.up_to <= previous:
            fail(
                f"outliers.high.{i}.up_to",
                band.up_to,
                f"expected more than the previous band's up_to ({previous:g})",
            )
        else:
            previous = band.up_to
    for path, codes in (
        ("coefficient.common_groups", scn.coefficient.common_groups),
        ("readmission.exempt_adrgs", scn.readmission.exempt_adrgs),
    ):
        _check_codes(path, codes, fail, adrg_only=path.startswith("readmission"))
    inc = scn.incentive
    if inc.min > inc.max:
        fail("incentive.min", inc.min, f"must be <= incentive.max ({inc.max})")
    for name, ind in inc.indicators.items():
        if name not in INDICATORS:
            fail(f"incentive.indicators.{name}", name, _unknown(name, list(INDICATORS)))
        elif ind.best == ind.worst:
            fail(f"incentive.indicators.{name}.best", ind.best, "best must differ from worst")
    total = sum(ind.weight for ind in inc.indicators.values())
    if inc.indicators and abs(total - 1.0) > 1e-9:
        fail("incentive.indicators", round(total, 6), "indicator weights must sum to 1")
    for table, allowed in (
        ("detection", DETECTION_KEYS),
        ("penalty", PENALTY_KEYS),
        ("screening.recall", DETECTION_KEYS),
    ):
        for act in attrgetter(table)(scn.audit):
            if act not in allowed:
                fail(f"audit.{table}.{act}", act, _unknown(act, list(allowed)))
    by_tier = {
        "tiers": scn.tiers,
        "coefficient.tiers": scn.coefficient.tiers,
        "regions.admissions_per_hospital": scn.regions.admissions_per_hospital,
        **{f"generator.{t}": getattr(scn.generator, t) for t in _GENERATOR_TIER_TABLES},
    }
    for name, table in by_tier.items():
        for tier in table:
            if tier not in (1, 2, 3):
                fail(f"{name}.{tier}", tier, "allowed tiers: 1, 2, 3")
    for name, overrides in scn.variants.items():
        if name == BASELINE:
            fail(f"variants.{name}", name, "'baseline' is the name of the unchanged scenario")
        elif not isinstance(overrides, Mapping):
            fail(f"variants.{name}", overrides, "expected a mapping of dotted keys to values")
    hospitals = FrozenDict(
        {hid: dataclasses.replace(h, name=h.name or hid) for hid, h in scn.hospitals.items()}
    )
    scn = dataclasses.replace(scn, hospitals=hospitals)
    if len(ctx.problems) == before:
        derived = scn.region.admissions <= 0
        scn = dataclasses.replace(scn, region=_derived_region(scn))
        _check_sizes(scn, ctx, derived=derived)
    if check_files:
        scn = _resolve_files(scn, base_dir, ctx)
    return scn


#: The form of an ADRG code (MDC letter, class letter, sequence digit) and of a DRG (+ severity).
_ADRG_CODE = re.compile(r"[A-Z]{2}[0-9A-Z]")
_DRG_CODE = re.compile(r"[A-Z]{2}[0-9A-Z][0-9A-Z]")


def _check_codes(path: str, codes: tuple[str, ...], fail: Any, *, adrg_only: bool) -> None:
    """Codes listed in a scenario have the form of an ADRG (or DRG) code and appear once.

    Whether the catalogue holds them is checked when the catalogue is read (rules.catalogue).
    """
    seen: set[str] = set()
    for i, code in enumerate(codes):
        form = bool(_ADRG_CODE.fullmatch(code)) or (
            not adrg_only and bool(_DRG_CODE.fullmatch(code))
        )
        if not form:
            kind = "an ADRG code such as 'RE1'" if adrg_only else "a DRG or ADRG code (FM19, FM1)"
            fail(f"{path}.{i}", code, f"expected {kind}")
        elif code in seen:
            fail(f"{path}.{i}", code, "each code may be listed once")
        seen.add(code)


def _check_funds(scn: Scenario, fail: Any) -> None:
    """Funds: a few, named, their shares of patients summing to 1, their budgets within the total."""
    funds = scn.funds
    if not 1 <= len(funds) <= MAX_FUNDS:
        fail("funds", dict(funds), f"expected 1 to {MAX_FUNDS} funds")
        return
    total = sum(f.share for f in funds.values())
    if abs(total - 1.0) > 1e-9:
        shares = {name: f.share for name, f in funds.items()}
        fail("funds", shares, f"the funds' shares sum to {total:g}; they must sum to 1")
    for name, f in funds.items():
        if not name.strip():
            fail("funds", name, "expected a fund name that is not empty")
        for tier in f.patient_share_tiers:
            if tier not in (1, 2, 3):
                fail(f"funds.{name}.patient_share_tiers.{tier}", tier, "allowed tiers: 1, 2, 3")
    given = [f.budget for f in funds.values() if f.budget is not None]
    annual = scn.budget.annual
    if annual is not None and given and sum(given) > annual * (1 + 1e-12):
        fail(
            "funds",
            {name: f.budget for name, f in funds.items()},
            f"the funds' budgets sum to {sum(given):,.2f} yuan, more than budget.annual "
            f"({annual:,.2f}); expected at most the total",
        )
    if annual is not None and len(given) == len(funds) and abs(sum(given) - annual) > 0.005:
        fail(
            "budget.annual",
            annual,
            f"every fund names its budget and they sum to {sum(given):,.2f}; expected the same "
            "total or budget.annual: null",
        )


def _derived_region(scn: Scenario) -> Region:
    """The region with its name, admissions and population filled where the file left them out."""
    region = scn.region
    admissions = region.admissions
    if admissions <= 0:  # left out: only the default is 0, a file may not write it
        per_bed = scn.generator.admissions_per_bed
        admissions = float(sum(h.beds * per_bed[h.tier] for h in scn.hospitals.values()))
        others = scn.other_hospitals
        admissions += float(
            sum(n * others.beds[t] * per_bed[t] for t, n in others.count.items() if n > 0)
        )
        if admissions <= 0 and scn.regions.count > 0:  # only generated regions run
            admissions = scn.regions.admissions / scn.regions.count
    population = region.population
    if population <= 0:
        population = max(1, round(admissions / region.admissions_per_resident))
    return dataclasses.replace(
        region, name=region.name or scn.name, admissions=admissions, population=population
    )


def check_sizes(scn: Scenario, label: str) -> None:
    """Refuse a scenario built outside a file (a generated region) that a run cannot hold."""
    ctx = _Context(label, {}, [])
    _check_sizes(scn, ctx)
    if ctx.problems:
        raise ScenarioError(ctx.problems)


def _check_sizes(scn: Scenario, ctx: _Context, *, derived: bool = False) -> None:
    """Refuse what the machine cannot hold or int64 fen cannot count, before anything runs."""
    last_year = scn.years - 1
    season = scn.region.seasonality
    busiest = max(season) / sum(season) * max(1.0, 1 + scn.growth.volume) ** last_year
    if scn.region.admissions * busiest > MAX_CASES_PER_MONTH:
        ctx.fail(
            "region.admissions",
            scn.region.admissions,
            f"allowed: at most {MAX_CASES_PER_MONTH / busiest:,.0f} a year here "
            f"({MAX_CASES_PER_MONTH:,} cases in the busiest month of year {scn.years}; "
            "the memory a region's month needs)"
            + ("; derived, as the file leaves it out" if derived else ""),
        )
    n_hospitals = len(scn.hospitals) + sum(scn.other_hospitals.count.values())
    if n_hospitals > MAX_HOSPITALS:
        ctx.fail(
            "other_hospitals.count",
            n_hospitals,
            f"allowed: at most {MAX_HOSPITALS:,} hospitals in a region, listed and other",
        )
    annual = scn.budget.annual
    growth = scn.budget.growth  # null: neutral (drgsim.rules.growth.budget_growth)
    if growth is None:
        growth = (1 + scn.growth.charges) * (1 + scn.growth.volume) - 1
    grown = max(1.0, 1 + growth) ** last_year
    limit = MAX_FEN / FEN_HEADROOM / 100 / grown
    if annual is not None and annual > limit:
        ctx.fail(
            "budget.annual",
            annual,
            f"allowed: <= {limit:.3g} yuan with growth {growth:g} over "
            f"{scn.years} year(s) (money is counted in int64 fen, with 1,000× headroom)",
        )


def _resolve_files(scn: Scenario, base_dir: Path, ctx: _Context) -> Scenario:
    """Make file paths absolute (relative to the scenario file) and check that they exist.

    A variant's paths are made absolute too, so that they name the same files wherever the
    variant is applied; whether those files can be read is `drgsim validate`'s to check.
    """
    variants = FrozenDict(
        {
            name: _absolute_files(overrides, base_dir)
            if isinstance(overrides, Mapping)
            else overrides
            for name, overrides in scn.variants.items()
        }
    )
    scn = dataclasses.replace(scn, variants=variants)
    cat = scn.catalogue.source
    if cat != "builtin":
        path = (base_dir / cat).resolve()
        if not path.is_file():
            ctx.fail("catalogue.source", cat, "expected 'builtin' or an existing CSV/Parquet file")
        scn = dataclasses.replace(
            scn, catalogue=dataclasses.replace(scn.catalogue, source=str(path))
        )
    cases = scn.cases.source
    if cases is not None:
        path = (base_dir / cases).resolve()
        if not path.is_file():
            ctx.fail("cases.source", cases, "expected an existing CSV/Parquet case table")
        scn = dataclasses.replace(scn, cases=dataclasses.replace(scn.cases, source=str(path)))
    return scn


def _absolute_files(overrides: Mapping[str, Any], base_dir: Path) -> FrozenDict:
    """A variant's overrides with its catalogue and case-table paths made absolute."""
    out = dict(overrides)
    for section, name in _FILE_KEYS:
        dotted = f"{section}.{name}"
        value = out.get(dotted)
        if isinstance(value, str) and value != "builtin":
            out[dotted] = str((base_dir / value).resolve())
        block = out.get(section)
        inner = block.get(name) if isinstance(block, Mapping) else None
        if isinstance(block, Mapping) and isinstance(inner, str) and inner != "builtin":
            out[section] = {**block, name: str((base_dir / inner).resolve())}
    return FrozenDict(out)
