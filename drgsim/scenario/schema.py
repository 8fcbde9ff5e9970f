"""The typed, frozen scenario: every key with its default, range, meaning and source.

The rules these keys set, and the sources cited here, are explained in docs/rules.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from drgsim.acts import OLD_AUDIT_KEYS

SPEC = "docs/rules.md"


class FrozenDict(dict):  # type: ignore[type-arg]
    """A dict that refuses changes after construction, so a scenario stays immutable."""

    def _readonly(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("scenario mappings are read-only; use Scenario.with_overrides")

    __setitem__ = __delitem__ = _readonly  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _readonly  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=repr)))

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))


def key(
    default: Any = None,
    *,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
    doc: str = "",
    source: str = "",
    factory: Any = None,
) -> Any:
    """A scenario key with its default, allowed range, meaning and the source of its default."""
    meta = {"ge": ge, "le": le, "gt": gt, "lt": lt, "doc": doc, "source": source}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def _fd(d: dict[Any, Any]) -> Any:
    return lambda: FrozenDict(d)


def _act_names(table: Any) -> Any:
    """An audit table with old act names read as the act registry's (split → splitting), in
    place; where a table writes both names, the registry's wins."""
    if not isinstance(table, Mapping) or not any(k in OLD_AUDIT_KEYS for k in table):
        return table
    return FrozenDict(
        {
            OLD_AUDIT_KEYS.get(k, k): v
            for k, v in table.items()
            if not (k in OLD_AUDIT_KEYS and OLD_AUDIT_KEYS[k] in table)
        }
    )


# Sizes a run can hold.  A region's busiest month is generated, priced and settled at once, at
# about 0.75 kB per case of that month, the year's kept claims included (measured: 0.26 GB of
# memory at 27.5 k cases in the busiest month, 1.06 GB at 1.1 M); 10 M cases (110 M admissions a
# year, far above the largest Chinese pooling region) come to about 8 GB.  Money is counted in
# int64 fen: a year's budget × 100 must stay 1,000 times below 2**63 so that sums over
# hospitals, months and penalties cannot overflow.
MAX_CASES_PER_MONTH = 10_000_000
MAX_HOSPITALS = 10_000  # per region; K[h, g] alone is hospitals × groups × 8 bytes
MAX_FEN = 2**63 - 1
MAX_FUNDS = 16  # a fund is an int8 on each case; cities have two or three
FEN_HEADROOM = 1_000

DEFAULT_SEASONALITY = (1.06, 0.84, 0.98, 1.0, 1.01, 0.98, 1.03, 1.04, 0.99, 0.96, 1.01, 1.10)


@dataclass(frozen=True)
class Region:
    """The pooling region (统筹区) whose fund pays: population, admissions and their rhythm.

    The defaults describe no particular city: a region holds the hospitals its scenario declares
    (or a city preset it `extends`), and the name, admissions and population left out (shown
    here as "" and 0, values a file may not write) are derived when the scenario is loaded.
    """

    name: str = key("", doc="region name; left out: the scenario's name")
    population: int = key(
        0,
        ge=1,
        doc="residents (patient ids are drawn among them); "
        "left out: admissions / admissions_per_resident",
    )
    admissions: float = key(
        0.0,
        gt=0,
        doc="expected inpatient admissions in year one; left out: the sum over the declared "
        "hospitals (listed and other) of beds × generator.admissions_per_bed of their tier",
    )
    admissions_per_resident: float = key(
        0.214,
        gt=0,
        le=5,
        doc="yearly inpatient admissions per resident, used when population is left out",
        source="NHC 2023: 301.9 M admissions for 1,409.7 M residents [C]",
    )
    seasonality: tuple[float, ...] = key(
        DEFAULT_SEASONALITY,
        ge=0,
        doc="relative admissions per month, 12 values",
        source="[default] Spring-festival dip in February",
    )


@dataclass(frozen=True)
class Growth:
    """How the synthetic city's charges and admissions grow from year to year (spec §9)."""

    charges: float = key(
        0.04,
        ge=-0.5,
        le=1.0,
        doc="yearly growth of every generated case's charges (its patient-paid part with them)",
        source="NHC 2019–23 inpatient charges per admission, about +4% a year [I]",
    )
    volume: float = key(
        0.02,
        ge=-0.5,
        le=1.0,
        doc="yearly growth of the generated admissions",
        source="NHC 2019–23 inpatient admissions, about +2% a year [I]",
    )


@dataclass(frozen=True)
class CatalogueSource:
    """Where the DRG catalogue comes from: the built-in synthetic CHS-DRG 1.1 or a file."""

    source: str = key(
        "builtin",
        doc="'builtin' or a path to a code list (CSV/Parquet)",
        source="synthetic catalogue with the structure of CHS-DRG 1.1",
    )


@dataclass(frozen=True)
class CasesSource:
    """A case table to settle instead of synthetic patients (replay)."""

    source: str | None = key(None, doc="path to a case table (CSV/Parquet); null = synthetic")
    column_map: dict[str, str] = key(
        factory=_fd({}),
        doc="source header → drgsim column (drgsim.records.importing.COLUMNS); Chinese headers such "
        "as 出院日期 are recognised without a map",
    )
    encoding: str | None = key(
        None, doc="CSV text encoding; null = detect UTF-8 or GBK (read as GB18030)"
    )
    strict: bool = key(
        False, doc="fail on the first bad row instead of writing it to rejected.parquet"
    )


@dataclass(frozen=True)
class Privacy:
    """How patient identifiers appear in outputs."""

    hash_patient_ids: bool = key(True, doc="replace patient ids by salted sha256 pseudonyms")
    salt: str | None = key(
        None, doc="salt of the pseudonyms; null = derived from the case file's bytes"
    )


def act_key(fallback: float, **kw: Any) -> Any:
    """A key of an act: null inherits (hospital → tier → region); `fallback` is used if none sets it."""
    meta = key(None, **kw).metadata
    return field(default=None, metadata={**meta, "fallback": fallback})


ACTS_SOURCE = f"{SPEC} §8"


@dataclass(frozen=True)
class Act:
    """How often a hospital commits one act (null: inherit from its tier, then the region)."""

    rate: float | None = act_key(
        0.0, ge=0, le=1, doc="share of cases (or of volume) affected", source="[default]"
    )


@dataclass(frozen=True)
class UpcodingAct:
    """Upcoding 套高病组: billing the claims that gain most a higher-paying DRG."""

    rate: float | None = act_key(
        0.0, ge=0, le=1, doc="share of the hospital's claims upcoded", source="[default]"
    )
    levels: int | None = act_key(
        2,
        ge=1,
        le=2,
        doc="severity levels a claim may move up inside its ADRG (5→3→1)",
        source=ACTS_SOURCE,
    )
    procedure_share: float | None = act_key(
        0.3,
        ge=0,
        le=1,
        doc="share of the upcoded claims billed a procedure ADRG (K–Q) of their MDC instead "
        "(medical cases only)",
        source=f"{ACTS_SOURCE} [default]; Wang et al. 2024: intensity rose through treatment",
    )
    perceived_risk: float | None = act_key(
        1.0,
        ge=0,
        le=10,
        doc="the chance the hospital puts on an upcoded claim being confirmed, as a multiple of "
        "the audit's (sampled or screened, then detected; 1: it knows the audit; 0: none)",
        source=f"{ACTS_SOURCE} [default]: the scenario's audit rates are the hospital's belief",
    )


@dataclass(frozen=True)
class Destination:
    """Where a refused patient goes: weights over the refuser's tier, higher and lower tiers."""

    same: float | None = act_key(
        0.3, ge=0, le=1, doc="weight of the refuser's own tier", source=f"{ACTS_SOURCE} [default]"
    )
    higher: float | None = act_key(
        0.6, ge=0, le=1, doc="weight of the higher tiers", source=f"{ACTS_SOURCE} [default]"
    )
    lower: float | None = act_key(
        0.1, ge=0, le=1, doc="weight of the lower tiers", source=f"{ACTS_SOURCE} [default]"
    )


@dataclass(frozen=True)
class ShiftingAct:
    """Patient shifting 推诿: refusing cases predicted to lose money."""

    rate: float | None = act_key(
        0.0, ge=0, le=1, doc="share of loss-making cases refused", source="[default]"
    )
    loss_threshold: float | None = act_key(
        0.2,
        ge=0,
        le=10,
        doc="refuse when (expected charges − expected payment) / expected payment exceeds this",
        source="[default]",
    )
    destination: Destination = key(
        factory=Destination, doc="where refused patients go, by tier (each weight inherits)"
    )


@dataclass(frozen=True)
class SplittingAct:
    """Split admission 分解住院: discharging and readmitting a patient to bill two stays."""

    rate: float | None = act_key(0.0, ge=0, le=1, doc="share of stays split", source="[default]")
    gap_days: int | None = act_key(
        1,
        ge=0,
        le=60,
        doc="days between the first discharge and the second admission",
        source=f"{ACTS_SOURCE} [default]",
    )
    evade: float | None = act_key(
        0.5,
        ge=0,
        le=1,
        doc="share of pairs that evade the readmission rule (another ADRG of the MDC, else after "
        "the window)",
        source=f"{ACTS_SOURCE} [default]",
    )


@dataclass(frozen=True)
class InducedAct:
    """Induced admission 低标入院: admitting cheap low-severity cases that would be outpatient."""

    rate: float | None = act_key(
        0.0, ge=0, le=1, doc="added cases as a share of the hospital's volume", source="[default]"
    )
    charge_ratio: float | None = act_key(
        0.6,
        gt=0,
        le=10,
        doc="an added case's mean charges as a multiple of its group's reference (× cost level)",
        source=f"{ACTS_SOURCE} [default]: the stay would otherwise be outpatient",
    )
    los_ratio: float | None = act_key(
        0.5,
        gt=0,
        le=10,
        doc="an added case's stay as a multiple of its group's mean stay (rounded, ≥ 1 day)",
        source="[default] v1's value",
    )


@dataclass(frozen=True)
class UnderserviceAct:
    """Under-service 减少服务: cutting the cost of care."""

    cut: float | None = act_key(0.0, ge=0, lt=1, doc="share of cost cut", source="[default]")
    rate: float | None = act_key(
        1.0, ge=0, le=1, doc="share of cases cut (when cut > 0)", source="[default]"
    )
    readmit_uplift: float | None = act_key(
        0.02,
        ge=0,
        le=1,
        doc="probability that a cut stay is followed by a readmission",
        source=f"{ACTS_SOURCE} [default]",
    )


@dataclass(frozen=True)
class ReferralDownAct:
    """Down-referral 分级诊疗: a tier-3 hospital sends low-weight cases to tiers 1–2."""

    rate: float | None = act_key(
        0.0, ge=0, le=1, doc="share of low-weight cases sent down", source="[default]"
    )
    max_rw: float | None = act_key(
        0.6, gt=0, doc="groups below this weight count as low-weight", source="[default]"
    )


@dataclass(frozen=True)
class Behaviour:
    """The acts of spec §8, one field per row of drgsim.acts.ACTS; null values inherit."""

    upcoding: UpcodingAct = key(factory=UpcodingAct)
    shifting: ShiftingAct = key(factory=ShiftingAct)
    splitting: SplittingAct = key(factory=SplittingAct)
    induced: InducedAct = key(factory=InducedAct)
    phantom: Act = key(factory=Act)
    underservice: UnderserviceAct = key(factory=UnderserviceAct)
    referral_down: ReferralDownAct = key(factory=ReferralDownAct)


@dataclass(frozen=True)
class Adaptation:
    """Hospitals moving their act rates each year by last year's net gain from each act."""

    enabled: bool = key(False, doc="adapt act rates between years", source="[default]")
    step: float = key(0.02, ge=0, le=1, doc="change of a rate per year", source="[default]")
    max_rate: float = key(
        0.5, ge=0, le=1, doc="highest rate adaptation reaches", source="[default]"
    )


@dataclass(frozen=True)
class Hospital(Behaviour):
    """One designated hospital: its name, tier (1–3), beds, relative cost level and acts."""

    name: str = key("", doc="hospital name")
    tier: int = key(2, ge=1, le=3, doc="hospital tier (三级=3, 二级=2, 一级=1)")
    beds: int = key(300, ge=1, doc="beds; volume is proportional to beds × admissions_per_bed")
    cost_level: float | None = key(None, gt=0, doc="cost relative to the city; null = tier default")


@dataclass(frozen=True)
class Cost:
    """What a hospital spends (spec §8): a fixed part and a part that follows its charges."""

    variable_share: float = key(
        0.6,
        ge=0,
        le=1,
        doc="a case costs its hospital this share of its charges; the rest of the baseline's "
        "expected charges is the year's fixed cost",
        source="spec v2 §8 [default]",
    )


@dataclass(frozen=True)
class OtherHospitals:
    """The city's other designated hospitals, generated by rule per tier."""

    count: dict[int, int] = key(
        factory=_fd({}),
        ge=0,
        le=MAX_HOSPITALS,
        doc="number of further hospitals per tier (none unless declared)",
    )
    beds: dict[int, int] = key(
        factory=_fd({3: 800, 2: 300, 1: 100}),
        ge=1,
        doc="beds of each generated hospital per tier",
        source="[default]",
    )


@dataclass(frozen=True)
class Generator:
    """Parameters of the synthetic patients: case mix by tier, costs, stays and patient share."""

    admissions_per_bed: dict[int, float] = key(
        factory=_fd({3: 35.0, 2: 30.0, 1: 25.0}),
        gt=0,
        doc="relative yearly admissions per bed by tier",
        source="[default]",
    )
    complexity_tilt: dict[int, float] = key(
        factory=_fd({3: 1.5, 2: 0.3, 1: -1.0}),
        ge=-3,
        le=3,
        doc="case mix ∝ the city's share × RW^tilt by tier, the tiers together keeping the "
        "city's shares",
        source="[default] complex cases go to higher tiers; with cost_level, tier-3 charges per "
        "case ≈ 2 × tier 2's (NHC 2023: 12,879 vs 6,425 yuan [C])",
    )
    cost_level: dict[int, float] = key(
        factory=_fd({3: 1.18, 2: 0.95, 1: 0.8}),
        gt=0,
        doc="cost of a stay relative to the city's for the same DRG, by tier",
        source="[default] within the tier coefficients of the reference notes (三级 1.10–1.25, "
        "二级 0.85–0.95, 一级 0.70–0.80 [I]); Shanwei's case-weighted mean ≈ 1",
    )
    cost_sigma: float = key(
        0.6,
        gt=0,
        le=3,
        doc="lognormal sigma of cost within a DRG",
        source="[default] with the outlier bands gives 3–6% high and 5–15% low cases (spec §11)",
    )
    los_sigma: float = key(
        0.45, gt=0, le=3, doc="lognormal sigma of length of stay", source="[default]"
    )
    oop_share: dict[int, float] = key(
        factory=_fd({3: 0.36, 2: 0.32, 1: 0.28}),
        ge=0,
        le=1,
        doc="mean patient-paid share of cost by tier",
        source="35.9% in one hospital's report [C] (docs/rules.md, sources)",
    )
    oop_sd: float = key(
        0.08, ge=0, le=0.5, doc="spread of the patient-paid share", source="[default]"
    )
    transfer: float = key(
        0.02, ge=0, le=1, doc="share of discharges by transfer", source="[default]"
    )
    death: float = key(0.01, ge=0, le=1, doc="share of discharges by death", source="[default]")
    against_advice: float = key(
        0.03, ge=0, le=1, doc="share leaving against advice", source="[default]"
    )
    readmission_rate: float = key(
        0.02,
        ge=0,
        le=0.5,
        doc="share of stays followed by a readmission in the window (same hospital and DRG, "
        "both in one month; at most every other stay)",
        source="[default]",
    )
    ungroupable_rate: float = key(
        0.002, ge=0, le=1, doc="share of cases that cannot be grouped", source="[default]"
    )


@dataclass(frozen=True)
class Weights:
    """How relative weights and base points are set from reference cases (spec §1)."""

    trim_quantiles: tuple[float, float] = key(
        (0.025, 0.975),
        ge=0,
        le=1,
        doc="per-group cost trimming before averaging",
        source=f"{SPEC} §1 [default]",
    )
    reference_years: int = key(
        2, ge=1, le=10, doc="previous years used as reference", source="Jinhua (2 years)"
    )
    min_cases: int = key(
        5,
        ge=1,
        doc="groups with fewer reference cases are unstable",
        source="Zhejiang 2019 (<5 cases → 特病单议)",
    )
    overrides: dict[str, float] = key(
        factory=_fd({}), gt=0, doc="negotiated weights: DRG code → RW", source="plan: 权重费率谈判"
    )
    year_weights: tuple[float, ...] | None = key(
        None,
        gt=0,
        doc="weight of each reference year's cases, oldest first (one per reference year); "
        "unset: equal",
        source=f"{SPEC} §1 [default equal]; DIP 技术规范 2020: 1:2:7 over 3 years",
    )
    rebase: Literal["yearly", "fixed"] = key(
        "yearly",
        doc="yearly: weights re-normalised to the reference mean ā each year; fixed: year one's "
        "ā kept, so coding drift shows as CMI growth",
        source=f"{SPEC} §1 (yearly is the practice)",
    )


@dataclass(frozen=True)
class Coefficient:
    """The hospital coefficient K (spec §2)."""

    mode: Literal["uniform", "tier", "blend"] = key(
        "tier", doc="uniform, tier or blend", source="Shanwei default: tier"
    )
    tiers: dict[int, float] = key(
        factory=_fd({3: 1.0, 2: 0.9, 1: 0.8}),
        gt=0,
        le=5,
        doc="K by tier",
        source=f"{SPEC} §2 [default]",
    )
    w_hospital: float = key(
        0.5, ge=0, le=1, doc="blend weight of the hospital's own costs", source="Zigong"
    )
    w_tier: float = key(0.5, ge=0, le=1, doc="blend weight of the tier's costs", source="Zigong")
    missing_tier_factor: float = key(
        0.9,
        gt=0,
        le=5,
        doc="blend: a tier without reference cases in a group takes this × the tier above",
        source=f"Zigong; {SPEC} §2",
    )
    missing_top_tier_factor: float = key(
        1.1,
        gt=0,
        le=5,
        doc="blend: a tier without reference cases and no tier above takes this × the tier below",
        source="[default]",
    )
    common_groups: tuple[str, ...] = key(
        (), doc="DRG or ADRG codes paid at K = 1 in every hospital", source="基层病组 / 同病同价"
    )


@dataclass(frozen=True)
class HighBand:
    """One band of the high-cost threshold: groups with relative weight up to `up_to`."""

    up_to: float | None = key(None, gt=0, doc="upper bound of relative weight; null = no bound")
    ratio: float = key(3.0, gt=0, doc="high threshold H as a multiple of the group mean")


DEFAULT_HIGH_BANDS = (
    HighBand(up_to=1.0, ratio=3.0),
    HighBand(up_to=3.0, ratio=2.0),
    HighBand(up_to=None, ratio=1.5),
)


@dataclass(frozen=True)
class Outliers:
    """Low and high cost thresholds (spec §2)."""

    low: float = key(0.4, ge=0, le=1, doc="low threshold L", source="Zhejiang template [R]")
    low_uses_coefficient: bool = key(
        False,
        doc="low-cost points × K (never above BP × K)",
        source="Jinhua: false; Zhejiang sets true",
    )
    high: tuple[HighBand, ...] = key(
        DEFAULT_HIGH_BANDS,
        doc="bands of the high threshold by relative weight",
        source="Zhejiang template [R]",
    )
    high_factor: float = key(
        1.0, ge=0, le=2, doc="points per point of cost above H", source=f"{SPEC} §2"
    )


@dataclass(frozen=True)
class SpecialReview:
    """Special review 特病单议 (spec §2)."""

    quota: float = key(
        0.05,
        ge=0,
        le=1,
        doc="share of a hospital's cases it may nominate",
        source="NHSA 2024 (医保办发〔2024〕9号) [R]",
    )
    min_ratio: float = key(
        3.0,
        ge=0,
        le=100,
        doc="charges / group mean from which a claim may be nominated",
        source="[default]; provinces use 2–5×",
    )
    approval: float = key(
        0.7, ge=0, le=1, doc="probability the panel approves a nomination", source="[default]"
    )
    pay_ratio: float = key(
        1.0, gt=0, le=2, doc="special-review points per point of charges", source=f"{SPEC} §2"
    )


@dataclass(frozen=True)
class Readmission:
    """The readmission rule (spec §2)."""

    window_days: int = key(15, ge=0, le=365, doc="window after discharge", source="Zhejiang")
    factor: float = key(
        0.5, ge=0, le=1, doc="multiplier on the earlier stay's points", source="Zhejiang"
    )
    exempt_adrgs: tuple[str, ...] = key(
        (), doc="ADRGs never cut (planned chemo- and radiotherapy)", source="Zhejiang"
    )


@dataclass(frozen=True)
class Budget:
    """The year's DRG fund budget (spec §3)."""

    annual: float | None = key(
        None, ge=0, doc="yuan; null = budget-neutral from expected cost", source=f"{SPEC} §3"
    )
    growth: float | None = key(
        None,
        ge=-0.5,
        le=1,
        doc="yearly budget growth; null = neutral: (1 + growth.charges) × (1 + growth.volume) − 1",
        source=f"{SPEC} §3, §9 (0.0608 with the growth defaults)",
    )
    reserve: float = key(
        0.05,
        ge=0,
        lt=1,
        doc="share held back as adjustment reserve 调剂金",
        source="360docs: 5% 调剂金 [C]",
    )
    month_shares: tuple[float, ...] | None = key(
        None,
        ge=0,
        doc="year one's 12 forecast monthly point shares (later years: last year's points); "
        "null = the generator's seasonality, or a replayed table's first-year charges by month",
        source=f"{SPEC} §4 (drgsim calibrate writes them from a city's records)",
    )
    reserve_use: Literal["release", "keep", "cover"] = key(
        "release",
        doc="release: paid out at year end with the year's money; keep: retained by the fund "
        "(v1); cover: spent only on the point-value floor and on clearing's overrun sharing, "
        "the rest retained",
        source=f"{SPEC} §3",
    )


@dataclass(frozen=True)
class Fund:
    """One insurance fund settled on its own (spec §3): its patients and its budget."""

    share: float = key(
        1.0,
        gt=0,
        le=1,
        doc="share of the city's patients insured by this fund",
        source=f"{SPEC} §3",
    )
    patient_share_mean: float | None = key(
        None,
        ge=0,
        le=0.95,
        doc="mean patient-paid share of a stay's charges; null = generator.oop_share by tier",
        source="NHSA 2023: the fund pays 84.6% (employee), 68.1% (resident) [C]",
    )
    patient_share_tiers: dict[int, float] = key(
        factory=_fd({}),
        ge=0,
        le=0.95,
        doc="patient-paid share by hospital tier, overriding patient_share_mean for those tiers",
        source="NHSA 2023 by level: employee 83.5/87.4/89.4%, resident 63.2/72.4/80.8% [C]",
    )
    budget: float | None = key(
        None,
        ge=0,
        doc="yuan in year one; null = its part of budget.annual (by expected fund cost), or "
        "budget-neutral when budget.annual is null",
        source=f"{SPEC} §3",
    )


@dataclass(frozen=True)
class PointValue:
    """Floor and ceiling of the year's point value, as ratios of the planned PV_ref (spec §3)."""

    floor: float | None = key(
        None,
        gt=0,
        doc="lift the year's point value to floor × PV_ref from the reserve, as far as it goes",
        source="点值保底; Taiwan's debate 0.9–1.0 [default none]",
    )
    ceiling: float | None = key(
        None,
        gt=0,
        doc="cap the year's point value at ceiling × PV_ref; the rest is retained (结余)",
        source="点值封顶 [default none]",
    )


@dataclass(frozen=True)
class Reporting:
    """When hospitals report their cases (spec §4)."""

    lag_months: int = key(
        1, ge=0, le=6, doc="months between discharge and settlement", source="[default]"
    )


@dataclass(frozen=True)
class Settlement:
    """Monthly pre-payment and the year-end mode (spec §4, §6)."""

    mode: Literal["pool", "clearing", "repricing"] = key(
        "pool",
        doc="pool or clearing (repricing: clearing's old name, read as clearing)",
        source="Shanwei plan: pool",
    )
    prepay_share: float = key(
        0.90,
        ge=0,
        le=1,
        doc="share of the monthly allocation pre-paid",
        source="Zhejiang floor 0.85 [C]; 0.90 [default]",
    )
    true_up: bool = key(
        False,
        doc="pool weights by outstanding entitlement max(E − prepaid, 0) × λ, not withheld × λ",
        source=f"{SPEC} §6; false is the Shanwei plan's wording",
    )

    def __post_init__(self) -> None:
        if self.mode == "repricing":  # the old name of clearing: old scenario files keep working
            object.__setattr__(self, "mode", "clearing")


@dataclass(frozen=True)
class Clearing:
    """Hospital-level surplus retention and overrun sharing 结余留用、超支分担 (spec §6)."""

    surplus_keep: float = key(
        1.0,
        ge=0,
        le=1,
        doc="share of the surplus above fund-eligible charges a hospital keeps",
        source=f"{SPEC} §6 [default]",
    )
    overrun_floor: float = key(
        0.85,
        ge=0,
        le=1,
        doc="payment / fund-eligible charges from which an overrun is shared",
        source=f"{SPEC} §6 [default]",
    )
    overrun_share: float = key(
        0.0,
        ge=0,
        le=1,
        doc="share of an overrun the fund pays from what it would keep",
        source=f"{SPEC} §6 [default]",
    )


@dataclass(frozen=True)
class Screening:
    """Smart screening 智能审核 of every claim by rules (spec §5)."""

    recall: dict[str, float] = key(
        factory=_fd({"upcoding": 0.3, "splitting": 0.4, "phantom": 0.2, "underservice": 0.05}),
        ge=0,
        le=1,
        doc="chance that the rules flag a claim carrying the act (a hit is sent to review)",
        source=f"{SPEC} §5 [default]",
    )
    false_alarm: float = key(
        0.005,
        ge=0,
        le=1,
        doc="chance that the rules flag an honest claim (reviewed, then cleared)",
        source=f"{SPEC} §5 [default]",
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "recall", _act_names(self.recall))  # split: an old name


@dataclass(frozen=True)
class Targeted:
    """Quarterly targeted inspection of the hospitals with the highest risk score (spec §5)."""

    count: int = key(2, ge=0, doc="hospitals inspected each quarter", source=f"{SPEC} §5 [default]")
    rate: float = key(
        0.3,
        ge=0,
        le=1,
        doc="share of an inspected hospital's quarter's claims reviewed",
        source=f"{SPEC} §5 [default]",
    )


@dataclass(frozen=True)
class Suspension:
    """Loss of the year-end incentive for a hospital caught too often (spec §5)."""

    threshold: float | None = key(
        None,
        ge=0,
        le=1,
        doc="caught claims / reviewed claims in a year above which the incentive is cut; "
        "null: never",
        source=f"{SPEC} §5 [default]",
    )
    share: float = key(
        1.0,
        ge=0,
        le=1,
        doc="share of its year-end incentive a suspended hospital loses",
        source="[default]",
    )


@dataclass(frozen=True)
class Audit:
    """The audit: screening, sampling, targeted inspection, detection, penalties (spec §5)."""

    sample_rate: float = key(
        0.05, ge=0, le=1, doc="share of each hospital's cases reviewed", source="[default]"
    )
    detection: dict[str, float] = key(
        factory=_fd({"upcoding": 0.6, "splitting": 0.5, "phantom": 0.8, "underservice": 0.2}),
        ge=0,
        le=1,
        doc="probability that a reviewed act is caught",
        source="[default]",
    )
    penalty: dict[str, float] = key(
        factory=_fd({"upcoding": 2.0, "splitting": 1.0, "phantom": 3.0}),
        ge=0,
        le=10,
        doc="points deducted as a multiple",
        source="national fund-use rules 1–5× [R]",
    )
    deductions_to: Literal["others", "fund"] = key(
        "others",
        doc="deducted money shared among the other hospitals (pool) or kept by the fund",
        source=f"{SPEC} §5",
    )
    screening: Screening = key(factory=Screening)
    targeted: Targeted = key(factory=Targeted)
    suspension: Suspension = key(factory=Suspension)

    def __post_init__(self) -> None:
        for name in ("detection", "penalty"):  # split: splitting's old name
            object.__setattr__(self, name, _act_names(getattr(self, name)))


@dataclass(frozen=True)
class Indicator:
    """One indicator of the incentive score: weight, best and worst values."""

    weight: float = key(0.0, ge=0, le=1, doc="weight in the score")
    best: float = key(0.0, doc="value scoring 100")
    worst: float = key(1.0, doc="value scoring 0")


@dataclass(frozen=True)
class Incentive:
    """The incentive coefficient 鼓励系数 from indicator scores (spec §6)."""

    min: float = key(0.8, ge=0, le=5, doc="coefficient at score 0", source=f"{SPEC} §6")
    max: float = key(1.2, ge=0, le=5, doc="coefficient at score 100", source=f"{SPEC} §6")
    high_weight_rw: float = key(
        2.0, gt=0, doc="RW from which a patient counts as high-weight", source=f"{SPEC} §6"
    )
    peers: Literal["tier", "city"] = key(
        "tier",
        doc="hospitals whose group means CEI and TEI divide by: same tier, or the whole city",
        source=f"{SPEC} §6",
    )
    indicators: dict[str, Indicator] = key(
        factory=_fd(
            {
                "cost_efficiency": Indicator(0.4, 0.8, 1.2),
                "time_efficiency": Indicator(0.2, 0.8, 1.2),
                "violation_rate": Indicator(0.3, 0.0, 0.10),
                "referral_out_high": Indicator(0.1, 0.0, 0.05),
            }
        ),
        doc="indicators of the score",
        source=f"{SPEC} §6 [default]",
    )


INDICATORS = ("cost_efficiency", "time_efficiency", "violation_rate", "referral_out_high")


@dataclass(frozen=True)
class Regions:
    """Many pooling regions (统筹区), each with its own budget, hospitals and settlement."""

    count: int = key(
        0,
        ge=0,
        le=5000,
        doc="regions generated by rule from sizes (0: none)",
        source="China has about 400 pooling regions",
    )
    admissions: float = key(
        300_000_000.0,
        gt=0,
        doc="admissions a year over all generated regions",
        source="NHC 2023: 301.9 M admissions [C]",
    )
    size_sigma: float = key(
        0.8, ge=0, le=3, doc="lognormal spread of region sizes", source="[default]"
    )
    admissions_per_hospital: dict[int, float] = key(
        factory=_fd({3: 250_000.0, 2: 100_000.0, 1: 100_000.0}),
        gt=0,
        doc="a generated region has one hospital of a tier per this many admissions",
        source="[default] several thousand hospitals nationally",
    )
    listed: dict[str, dict[str, Any]] = key(
        factory=_fd({}), doc="named regions as dotted overrides of the scenario"
    )


@dataclass(frozen=True)
class Sweep:
    """Keys swept by `drgsim sweep`: dotted key → list of values or {start, stop, num}."""

    grid: dict[str, Any] = key(factory=_fd({}), doc="dotted key → [values] or {start, stop, num}")
    replications: int | None = key(
        None, ge=1, le=100_000, doc="replications per grid point (default: replications)"
    )


@dataclass(frozen=True)
class Scenario:
    """A whole scenario: the region, its hospitals, the payment rules and how to run them."""

    extends: str | None = key(
        None,
        doc="a city preset whose keys are this file's defaults: a shipped scenario's name "
        "(e.g. shanwei) or a YAML file relative to this one; mappings merge key by key (but a "
        "file that names `funds` names all of them), and "
        "what a study says of itself (name, description, seed, years, start_year, "
        "replications, variants, sweep) is not inherited",
    )
    name: str = key("scenario", doc="scenario name")
    description: str = key("", doc="what question the scenario answers")
    seed: int = key(20201001, ge=0, doc="root of every random stream")
    years: int = key(1, ge=1, le=50, doc="years simulated")
    start_year: int = key(2021, ge=1900, le=2200, doc="calendar year of year one")
    replications: int = key(1, ge=1, le=100_000, doc="independent replications")
    region: Region = key(factory=Region)
    growth: Growth = key(factory=Growth)
    catalogue: CatalogueSource = key(factory=CatalogueSource)
    cases: CasesSource = key(factory=CasesSource)
    hospitals: dict[str, Hospital] = key(
        factory=_fd({}),
        doc="hospitals by id (none unless declared; a variant may change them, never add one)",
    )
    other_hospitals: OtherHospitals = key(factory=OtherHospitals)
    cost: Cost = key(factory=Cost, doc="the hospitals' fixed and variable cost")
    generator: Generator = key(factory=Generator)
    base_points: float = key(
        100.0, gt=0, doc="base points of a weight-1 group", source="Jinhua, Zigong"
    )
    weights: Weights = key(factory=Weights)
    coefficient: Coefficient = key(factory=Coefficient)
    outliers: Outliers = key(factory=Outliers)
    special_review: SpecialReview = key(factory=SpecialReview)
    incomplete_stay_days: int = key(
        2, ge=0, le=30, doc="short stays ending early count as low", source=f"{SPEC} §2"
    )
    readmission: Readmission = key(factory=Readmission)
    budget: Budget = key(factory=Budget)
    funds: dict[str, Fund] = key(
        factory=_fd({"all": Fund()}),
        doc="insurance funds by name, each with its own budget, reserve, point value and "
        "settlement; a patient belongs to one (default: one fund `all`)",
        source=f"{SPEC} §3 (most cities settle 职工 and 居民 apart)",
    )
    point_value: PointValue = key(factory=PointValue)
    reporting: Reporting = key(factory=Reporting)
    settlement: Settlement = key(factory=Settlement)
    clearing: Clearing = key(factory=Clearing)
    audit: Audit = key(factory=Audit)
    incentive: Incentive = key(factory=Incentive)
    behaviour: Behaviour = key(factory=Behaviour, doc="region-wide acts of every hospital")
    tiers: dict[int, Behaviour] = key(factory=_fd({}), doc="acts of every hospital of a tier")
    adaptation: Adaptation = key(factory=Adaptation)
    regions: Regions = key(factory=Regions)
    sweep: Sweep = key(factory=Sweep)
    privacy: Privacy = key(factory=Privacy)
    variants: dict[str, dict[str, Any]] = key(
        factory=_fd({}), doc="named dotted overrides of the baseline"
    )
