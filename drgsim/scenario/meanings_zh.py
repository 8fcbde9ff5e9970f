"""The meaning of every scenario key in Chinese, beside the schema's English `doc`.

Keys are written as drgsim.scenario.keys names them (`hospitals.<id>.tier`); an act's keys are
written once, under `behaviour.`, and serve `hospitals.<id>.` and `tiers.<tier>.` too.
tests/test_meanings_zh.py checks that every key of the schema with a meaning has one here.
"""

from __future__ import annotations

_ACTS = {
    "upcoding.rate": "医院被套高病组的病例占比",
    "upcoding.levels": "病例在同一ADRG内最多可上调的严重程度级数（5→3→1）",
    "upcoding.procedure_share": "套高病例中改编为本MDC手术ADRG（K–Q）的占比（仅内科病例）",
    "upcoding.perceived_risk": "医院估计套高病例被查实的概率，为审核实际概率的倍数"
    "（先抽查或智能审核、再查实；1：了解审核；0：不顾审核）",
    "shifting.rate": "预期亏损病例被推诿的占比",
    "shifting.loss_threshold": "（预期费用−预期支付）/预期支付超过此值即推诿",
    "shifting.destination.same": "推诿去向：同级医院的权重",
    "shifting.destination.higher": "推诿去向：上级医院的权重",
    "shifting.destination.lower": "推诿去向：下级医院的权重",
    "splitting.rate": "被分解的住院占比",
    "splitting.gap_days": "首次出院至再次入院的间隔天数",
    "splitting.evade": "分解住院中规避再入院规则的占比（改入本MDC其他ADRG，否则在时间窗之后）",
    "induced.rate": "新增（低标入院）病例占医院病例量的比例",
    "induced.charge_ratio": "新增病例平均费用为其病组参考费用的倍数（×成本水平）",
    "induced.los_ratio": "新增病例住院天数为其病组平均住院日的倍数（取整，至少1天）",
    "phantom.rate": "受影响（虚报）的病例占比（或病例量占比）",
    "underservice.cut": "削减的成本比例",
    "underservice.rate": "被减少服务的病例占比（cut > 0 时）",
    "underservice.readmit_uplift": "减少服务的住院随后再入院的概率",
    "referral_down.rate": "低权重病例向下转诊的占比",
    "referral_down.max_rw": "权重低于此值的病组视为低权重",
}

MEANINGS: dict[str, str] = {
    "extends": "作为本文件默认值的城市预设：内置情景名（如 shanwei）或相对本文件的YAML文件；"
    "映射逐键合并（但写了 funds 的文件须写全所有基金），研究自身的设定（名称、说明、随机种子、"
    "年数、起始年、重复次数、方案、参数扫描）不继承",
    "name": "情景名称",
    "description": "情景要回答的问题",
    "seed": "所有随机数流的根种子",
    "years": "模拟年数",
    "start_year": "第一年的公历年份",
    "replications": "独立重复次数",
    "region.name": "统筹区名称；未填：情景名称",
    "region.population": "常住人口（患者编号从中抽取）；未填：住院人次 / 人均住院率",
    "region.admissions": "第一年预期住院人次；未填：所列医院（具名及其他）床位数 × 该级别每床住院人次之和",
    "region.admissions_per_resident": "每位居民每年住院人次，未填人口时使用",
    "region.seasonality": "各月相对住院量，12个值",
    "growth.charges": "生成病例费用的年增长率（个人自付部分随之增长）",
    "growth.volume": "生成住院人次的年增长率",
    "catalogue.source": "病组目录：'builtin'（内置）或代码表路径（CSV/Parquet）",
    "cases.source": "病例表路径（CSV/Parquet）；null：合成病例",
    "cases.column_map": "源表列名 → drgsim 列名；出院日期等中文列名无需映射即可识别",
    "cases.encoding": "CSV 文本编码；null：自动识别 UTF-8 或 GBK（按 GB18030 读取）",
    "cases.strict": "遇到第一条无法使用的行即报错，而不是写入 rejected.parquet",
    "hospitals": "按编号列出的医院（未声明则无；方案可修改，不能新增）",
    "hospitals.<id>.name": "医院名称",
    "hospitals.<id>.tier": "医院级别（三级=3，二级=2，一级=1）",
    "hospitals.<id>.beds": "床位数；病例量与 床位数 × 每床住院人次 成正比",
    "hospitals.<id>.cost_level": "相对全市的成本水平；null：该级别默认值",
    "other_hospitals.count": "各级别另外生成的医院数（未声明则无）",
    "other_hospitals.beds": "各级别生成医院的床位数",
    "cost.variable_share": "病例的变动成本占其费用的比例；基线预期费用的其余部分为当年固定成本",
    "generator.admissions_per_bed": "各级别每床位的相对年住院人次",
    "generator.complexity_tilt": "各级别病例构成 ∝ 全市占比 × RW^倾斜度，各级别合计保持全市占比",
    "generator.cost_level": "各级别同一DRG住院成本相对全市的水平",
    "generator.cost_sigma": "DRG内成本的对数正态标准差",
    "generator.los_sigma": "住院天数的对数正态标准差",
    "generator.oop_share": "各级别个人自付占成本的平均比例",
    "generator.oop_sd": "个人自付比例的离散程度",
    "generator.transfer": "转院出院的占比",
    "generator.death": "死亡出院的占比",
    "generator.against_advice": "自动出院（未遵医嘱离院）的占比",
    "generator.readmission_rate": "时间窗内再入院的住院占比（同一医院同一DRG，同月；至多隔次）",
    "generator.ungroupable_rate": "无法入组的病例占比",
    "base_points": "权重为1的病组的基准点数",
    "weights.trim_quantiles": "计算均值前各病组费用的截尾分位数",
    "weights.reference_years": "作为参考的往年年数",
    "weights.min_cases": "参考病例少于此数的病组为不稳定病组",
    "weights.overrides": "协商确定的权重：DRG编码 → RW",
    "weights.year_weights": "各参考年病例的权重，由远及近（每个参考年一个）；未设：等权",
    "weights.rebase": "yearly：每年按参考均值 ā 重新标化权重；fixed：保留第一年的 ā，"
    "编码漂移表现为CMI增长",
    "coefficient.mode": "成本系数方式：uniform（统一）、tier（按级别）或 blend（混合）",
    "coefficient.tiers": "各级别的成本系数 K",
    "coefficient.w_hospital": "混合方式中医院自身成本的权重",
    "coefficient.w_tier": "混合方式中所在级别成本的权重",
    "coefficient.missing_tier_factor": "混合方式：某级别在病组内无参考病例时取上一级别的此倍数",
    "coefficient.missing_top_tier_factor": "混合方式：某级别无参考病例且无上一级别时取下一级别的此倍数",
    "coefficient.common_groups": "各医院均按 K = 1 支付的基础病组（DRG或ADRG编码）",
    "outliers.low": "费用极低病例的阈值 L",
    "outliers.low_uses_coefficient": "费用极低病例点数乘以 K（不超过 基准点数 × K）",
    "outliers.high": "按相对权重分段的费用极高阈值",
    "outliers.high[].up_to": "该段相对权重的上限；null：无上限",
    "outliers.high[].ratio": "费用极高阈值 H，为病组均值的倍数",
    "outliers.high_factor": "费用超过 H 的部分每1点费用折合的点数",
    "special_review.quota": "医院可申报特病单议的病例占比",
    "special_review.min_ratio": "费用 / 病组均值达到此值的病例可申报特病单议",
    "special_review.approval": "专家组通过申报的概率",
    "special_review.pay_ratio": "特病单议每1点费用折合的点数",
    "incomplete_stay_days": "提前结束的短住院按费用极低病例处理的天数",
    "readmission.window_days": "出院后再入院的时间窗（天）",
    "readmission.factor": "前次住院点数的乘数",
    "readmission.exempt_adrgs": "不扣减的ADRG（计划性化疗、放疗）",
    "budget.annual": "年度预算（元）；null：按预期成本确定，预算中性",
    "budget.growth": "预算年增长率；null：中性，(1 + growth.charges) × (1 + growth.volume) − 1",
    "budget.reserve": "预留为调剂金的比例",
    "budget.month_shares": "第一年12个月的预测点数占比（以后各年：上年点数）；null：生成器的季节性，"
    "或回放病例表第一年的分月费用",
    "budget.reserve_use": "release：年终随当年资金拨付；keep：留在基金（v1）；cover：只用于点值保底"
    "和清算超支分担，其余留存",
    "funds": "按名称列出的医保基金，各有预算、调剂金、点值和结算；每位患者属于一个基金"
    "（默认：一个基金 all）",
    "funds.<fund>.share": "该基金参保患者占全市患者的比例",
    "funds.<fund>.patient_share_mean": "住院费用中个人自付的平均比例；null：按级别取 generator.oop_share",
    "funds.<fund>.patient_share_tiers": "各级别医院的个人自付比例，覆盖这些级别的 patient_share_mean",
    "funds.<fund>.budget": "第一年预算（元）；null：按预期基金支出分得 budget.annual 的份额，"
    "budget.annual 为 null 时预算中性",
    "point_value.floor": "用调剂金把当年点值尽量提高到 保底系数 × 参考点值",
    "point_value.ceiling": "当年点值封顶于 封顶系数 × 参考点值；其余为结余",
    "reporting.lag_months": "出院到结算之间的月数",
    "settlement.mode": "结算方式：pool（奖励池）或 clearing（清算；repricing 为其旧名）",
    "settlement.prepay_share": "月度分配额中预付的比例",
    "settlement.true_up": "奖励池按未结清应得额 max(E − 预付, 0) × λ 分配，而非按预留金 × λ",
    "clearing.surplus_keep": "超过符合规定费用部分的结余中医院留用的比例",
    "clearing.overrun_floor": "支付 / 符合规定费用 低于此值时分担超支",
    "clearing.overrun_share": "超支中由基金从其留存中承担的比例",
    "audit.sample_rate": "每月随机抽查的各医院病例占比",
    "audit.detection": "复核时查实各类违规行为的概率",
    "audit.penalty": "扣减点数为违规所得点数的倍数",
    "audit.deductions_to": "扣款去向：others（分给其他医院）或 fund（留在基金）",
    "audit.screening.recall": "智能审核规则标记带有该行为病例的概率（标记即送复核）",
    "audit.screening.false_alarm": "智能审核规则误标无违规病例的概率（复核后澄清）",
    "audit.targeted.count": "每季度专项检查的医院数",
    "audit.targeted.rate": "被检查医院当季病例中被复核的比例",
    "audit.suspension.threshold": "年内查实病例 / 复核病例超过此比例即扣减激励；null：从不",
    "audit.suspension.share": "被暂停医院失去的年终激励比例",
    "incentive.min": "评分为0时的鼓励系数",
    "incentive.max": "评分为100时的鼓励系数",
    "incentive.high_weight_rw": "RW 达到此值的病例计为高权重病例",
    "incentive.peers": "计算CEI和TEI所用的比较组：同级别医院或全市",
    "incentive.indicators": "综合评分的指标",
    "incentive.indicators.<indicator>.weight": "该指标在评分中的权重",
    "incentive.indicators.<indicator>.best": "得100分的指标值",
    "incentive.indicators.<indicator>.worst": "得0分的指标值",
    **{f"behaviour.{k}": v for k, v in _ACTS.items()},
    "tiers": "各级别全部医院的违规行为",
    "adaptation.enabled": "各年之间调整违规行为发生率",
    "adaptation.step": "发生率每年的变化幅度",
    "adaptation.max_rate": "调整可达到的最高发生率",
    "regions.count": "按规模规则生成的统筹区数（0：不生成）",
    "regions.admissions": "全部生成统筹区的年住院人次",
    "regions.size_sigma": "统筹区规模的对数正态离散程度",
    "regions.admissions_per_hospital": "生成的统筹区每这么多住院人次设一家该级别医院",
    "regions.listed": "具名统筹区，写作对情景的点分路径覆盖",
    "sweep.grid": "点分参数 → [取值] 或 {start, stop, num}",
    "sweep.replications": "每个网格点的重复次数（默认：replications）",
    "privacy.hash_patient_ids": "用加盐 sha256 假名替换患者编号",
    "privacy.salt": "假名的盐；null：由病例文件内容导出",
    "variants": "具名方案：对基线的点分路径覆盖",
}


def meaning_zh(key: str) -> str:
    """The Chinese meaning of a scenario key (a placeholder or a real name: SW01, 3), or ""."""
    if key in MEANINGS:
        return MEANINGS[key]
    parts = key.split(".")
    if parts[0] in ("hospitals", "tiers") and len(parts) > 2:
        rest = ".".join(parts[2:])
        if rest in _ACTS:
            return _ACTS[rest]
        return MEANINGS.get(f"hospitals.<id>.{rest}", "")
    placeholder = {"funds": "<fund>", "indicators": "<indicator>"}
    for i, name in enumerate(parts[:-1]):
        if name in placeholder and i + 2 <= len(parts) - 1:
            generic = [*parts[: i + 1], placeholder[name], *parts[i + 2 :]]
            return MEANINGS.get(".".join(generic), "")
    return ""
