"""Where each scenario key's default comes from, in Chinese, beside the schema's English `source`.

Citations stay as written (documents, authors, years, figures) with Chinese names for places and
agencies; descriptions are translated; the marks of docs/rules.md read [有据] for [C], [据文献]
for [R], [推算] for [I] and [默认值] for [default]. A source that is only citations and marks
(`docs/rules.md §8 [default]`) needs no entry: its marks are translated where it is read.
tests/test_meanings_zh.py checks that every source of the schema reads in Chinese.
"""

from __future__ import annotations

#: The marks of docs/rules.md ("How to read the sources") in Chinese, the longest first.
MARKS = {
    "[default equal]": "[默认值：等权]",
    "[default none]": "[默认值：无]",
    "[default]": "[默认值]",
    "[C]": "[有据]",
    "[R]": "[据文献]",
    "[I]": "[推算]",
}

SOURCES: dict[str, str] = {
    "NHC 2023: 301.9 M admissions for 1,409.7 M residents [C]": (
        "国家卫健委 2023：住院 3.019 亿人次，常住人口 14.097 亿 [有据]"
    ),
    "[default] Spring-festival dip in February": "[默认值] 2月春节期间住院减少",
    "NHC 2019–23 inpatient charges per admission, about +4% a year [I]": (
        "国家卫健委 2019–23 年次均住院费用，每年约增长 4% [推算]"
    ),
    "NHC 2019–23 inpatient admissions, about +2% a year [I]": (
        "国家卫健委 2019–23 年住院人次，每年约增长 2% [推算]"
    ),
    "synthetic catalogue with the structure of CHS-DRG 1.1": "按 CHS-DRG 1.1 结构合成的病组目录",
    "docs/rules.md §8 [default]; Wang et al. 2024: intensity rose through treatment": (
        "docs/rules.md §8 [默认值]；文献 Wang et al. 2024：诊疗强度在治疗过程中上升"
    ),
    "docs/rules.md §8 [default]: the scenario's audit rates are the hospital's belief": (
        "docs/rules.md §8 [默认值]：医院以情景中的审核概率为其判断"
    ),
    "docs/rules.md §8 [default]: the stay would otherwise be outpatient": (
        "docs/rules.md §8 [默认值]：此类住院本可在门诊完成"
    ),
    "[default] v1's value": "[默认值] 沿用 v1 的取值",
    "spec v2 §8 [default]": "规则说明 v2 §8 [默认值]",
    "[default] complex cases go to higher tiers; with cost_level, tier-3 charges per case ≈ "
    "2 × tier 2's (NHC 2023: 12,879 vs 6,425 yuan [C])": (
        "[默认值] 复杂病例多在高级别医院；加上成本水平，三级医院次均费用约为二级的 2 倍"
        "（国家卫健委 2023：12,879 元对 6,425 元 [有据]）"
    ),
    "[default] within the tier coefficients of the reference notes (三级 1.10–1.25, "
    "二级 0.85–0.95, 一级 0.70–0.80 [I]); Shanwei's case-weighted mean ≈ 1": (
        "[默认值] 在参考资料的级别系数范围内（三级 1.10–1.25，二级 0.85–0.95，"
        "一级 0.70–0.80 [推算]）；汕尾按病例加权的均值约为 1"
    ),
    "[default] with the outlier bands gives 3–6% high and 5–15% low cases (spec §11)": (
        "[默认值] 配合高低倍率界限，费用极高病例占 3–6%，费用极低病例占 5–15%（规则说明 §11）"
    ),
    "35.9% in one hospital's report [C] (docs/rules.md, sources)": (
        "一家医院的报告中为 35.9% [有据]（docs/rules.md 的来源列表）"
    ),
    "Jinhua, Zigong": "金华、自贡",
    "Jinhua (2 years)": "金华（2年）",
    "Zhejiang 2019 (<5 cases → 特病单议)": "浙江 2019（病例少于 5 例 → 特病单议）",
    "plan: 权重费率谈判": "方案：权重费率谈判",
    "docs/rules.md §1 [default equal]; DIP 技术规范 2020: 1:2:7 over 3 years": (
        "docs/rules.md §1 [默认值：等权]；DIP 技术规范 2020：3 年按 1:2:7"
    ),
    "docs/rules.md §1 (yearly is the practice)": "docs/rules.md §1（实践中每年调整）",
    "Shanwei default: tier": "汕尾默认：按医院级别",
    "Zigong": "自贡",
    "Zigong; docs/rules.md §2": "自贡；docs/rules.md §2",
    "Zhejiang template [R]": "浙江模板 [据文献]",
    "Jinhua: false; Zhejiang sets true": "金华：false；浙江设为 true",
    "NHSA 2024 (医保办发〔2024〕9号) [R]": "国家医保局 2024（医保办发〔2024〕9号）[据文献]",
    "[default]; provinces use 2–5×": "[默认值]；各省多用 2–5 倍",
    "Zhejiang": "浙江",
    "docs/rules.md §3, §9 (0.0608 with the growth defaults)": (
        "docs/rules.md §3、§9（按默认增长率为 0.0608）"
    ),
    "360docs: 5% 调剂金 [C]": "360docs：5% 调剂金 [有据]",
    "docs/rules.md §4 (drgsim calibrate writes them from a city's records)": (
        "docs/rules.md §4（drgsim calibrate 可由城市的历史记录写出）"
    ),
    "docs/rules.md §3 (most cities settle 职工 and 居民 apart)": (
        "docs/rules.md §3（多数城市职工与居民分开结算）"
    ),
    "NHSA 2023: the fund pays 84.6% (employee), 68.1% (resident) [C]": (
        "国家医保局 2023：基金支付 84.6%（职工）、68.1%（居民）[有据]"
    ),
    "NHSA 2023 by level: employee 83.5/87.4/89.4%, resident 63.2/72.4/80.8% [C]": (
        "国家医保局 2023 分级别：职工 83.5/87.4/89.4%，居民 63.2/72.4/80.8% [有据]"
    ),
    "点值保底; Taiwan's debate 0.9–1.0 [default none]": "点值保底；台湾讨论中为 0.9–1.0 [默认值：无]",
    "Shanwei plan: pool": "汕尾方案：pool",
    "Zhejiang floor 0.85 [C]; 0.90 [default]": "浙江下限 0.85 [有据]；0.90 [默认值]",
    "docs/rules.md §6; false is the Shanwei plan's wording": "docs/rules.md §6；false 依汕尾方案的表述",
    "national fund-use rules 1–5× [R]": "国家医保基金使用监管规定 1–5 倍 [据文献]",
    "China has about 400 pooling regions": "全国约 400 个统筹区",
    "NHC 2023: 301.9 M admissions [C]": "国家卫健委 2023：住院 3.019 亿人次 [有据]",
    "[default] several thousand hospitals nationally": "[默认值] 全国数千家医院",
}


def source_zh(source: str) -> str:
    """The Chinese text of a schema `source`: its entry here, else the source with its marks
    translated (a source that is only citations)."""
    if source in SOURCES:
        return SOURCES[source]
    for mark, zh in MARKS.items():
        source = source.replace(mark, zh)
    return source
