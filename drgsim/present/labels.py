"""Every user-visible label of the figures and the report, in Chinese (zh) and English (en)."""

from __future__ import annotations

import re

LANGS = ("zh", "en")

_TEXT: dict[str, tuple[str, str]] = {
    # Figure titles: each states its finding's subject.
    "title.point_value": (
        "点值：基线各月点值、各方案相对基线的变化与每RW单位金额（{reps}次重复）",
        "Point value: the baseline's months, each variant's change against it, and money per "
        "RW unit ({reps} replications)",
    ),
    "title.audit": (
        "{year}年审核按行为：发生、智能审核命中、抽查、检查、查实与追回（{reps}次重复均值）",
        "The audit by act, {year}: claims that carried it, screened, sampled, inspected, caught "
        "and money recovered (mean of {reps} replications)",
    ),
    "title.regions": (
        "{year}年各统筹区的点值与医院盈亏分布（每点一个统筹区，{reps}次重复均值）",
        "Point value and hospitals' margin across the pooling regions, {year} (a dot per region, "
        "mean of {reps} replications)",
    ),
    "title.payment": (
        "{year}年各医院结算额与成本：预付、奖励与扣减（基线，{reps}次重复均值）",
        "Payment against cost by hospital, {year}: pre-paid, incentive and deductions "
        "(baseline, mean of {reps} replications)",
    ),
    "title.who_pays": (
        "谁获益、谁买单：各方案下结算额与盈亏相对基线的变化（{year}年，95%区间）",
        "Who gains and who pays: change in final payment and in margin against the baseline, "
        "{year} (95% intervals)",
    ),
    "title.coefficients": (
        "{year}年鼓励系数及其背后的指标（基线，{reps}次重复均值）",
        "Incentive coefficients and the indicators behind them, {year} "
        "(baseline, mean of {reps} replications)",
    ),
    "title.case_classes": (
        "{year}年各医院病例类型构成（基线，{reps}次重复合计）",
        "Case classes by hospital, {year} (baseline, {reps} replications pooled)",
    ),
    "title.years": (
        "逐年点值、病例组合指数与行为发生率（阴影：{reps}次重复的范围）",
        "Point value, case-mix index and act rates over the years (band: range over "
        "{reps} replications)",
    ),
    "title.drg_losses": (
        "{year}年各试点医院亏损最多的病组（病组盈亏，基线，{reps}次重复均值，95%区间）",
        "DRGs that lose most in each pilot hospital, {year} (margin by DRG, baseline, mean of "
        "{reps} replications, 95% intervals)",
    ),
    "axis.drg_margin": ("病组盈亏（万元）", "Margin of the DRG (10,000 yuan)"),
    "drg.bar": ("{drg}（{cases:.0f}例）", "{drg} ({cases:.0f} cases)"),
    "title.waterfall": (
        # replication 0 as `drgsim explain --replication` numbers it: scale.explain.write_waterfall
        "结算额与盈亏为何变化：变化最大的医院相对基线的逐项分解（{year}年，重复 0）",
        "Why payment and margin moved: the hospital that changed most, against the baseline, "
        "part by part ({year}, replication 0)",
    ),
    # drgsim explain --hospital: the parts of a change (docs/explain.md).
    "explain.volume": ("病例数量", "Volume"),
    "explain.case_mix": ("病例组合", "Case mix"),
    "explain.cost_per_case": ("例均成本", "Cost per case"),
    "explain.coding": ("编码（套高）", "Coding (upcoding)"),
    "explain.point_value": ("点值", "Point value"),
    "explain.deductions": ("审核扣减", "Deductions"),
    "explain.incentive": ("鼓励系数", "Incentive coefficient"),
    "explain.reserve": ("调剂金", "Reserve"),
    "explain.fixed_cost": ("固定成本", "Fixed cost"),
    "explain.total": ("合计", "Total"),
    "explain.payment": ("结算额变化", "Change in payment"),
    "explain.margin": ("盈亏变化", "Change in margin"),
    "explain.subject": ("{who}：{variant}方案相对基线", "{who}: {variant} against the baseline"),
    # Axis labels, with units.
    "axis.month": ("月份", "Month"),
    "axis.year": ("年份", "Year"),
    "axis.point_value": ("点值（元/点）", "Point value (yuan per point)"),
    "axis.amount": ("金额（万元）", "Amount (10,000 yuan)"),
    "axis.change": ("相对基线的变化（万元）", "Change against the baseline (10,000 yuan)"),
    "axis.share": ("病例占比（%）", "Share of cases (%)"),
    "axis.cmi": ("病例组合指数 CMI（无单位）", "Case-mix index, CMI (unitless)"),
    "axis.rate": ("行为发生率（病例%）", "Act rate (% of cases)"),
    "axis.pv_change": ("点值相对基线的变化（元/点）", "Change in point value (yuan per point)"),
    "axis.money_per_rw": ("{year}年每RW单位金额（元）", "Money per RW unit, {year} (yuan)"),
    "axis.claims": ("病例数", "Claims"),
    "axis.pv_ratio": (
        "{year}年年终点值 ÷ 计划点值",
        "Year-end point value ÷ planned point value, {year}",
    ),
    "axis.margin_pct": (
        "{year}年医院盈亏占收入（%）",
        "Hospitals' margin, % of their income, {year}",
    ),
    # Audit stages, in the order a claim meets them.
    "stage.done": ("发生", "done"),
    "stage.screened": ("智能审核命中", "screened"),
    "stage.sampled": ("抽查", "sampled"),
    "stage.inspected": ("检查", "inspected"),
    "stage.caught": ("查实", "caught"),
    # Funds.
    "fund.职工": ("职工医保", "Employees' fund"),
    "fund.居民": ("居民医保", "Residents' fund"),
    # Legend entries.
    "legend.prepaid": ("月度预付", "Pre-paid monthly"),
    "legend.incentive": ("年终奖励（鼓励系数）", "Year-end incentive"),
    "legend.deduction": ("审核扣减", "Audit deductions"),
    "legend.fund_cost": (
        "医院成本（固定+变动）减个人自付",
        "Hospital cost (fixed + variable) less patient share",
    ),
    "legend.margin": ("盈亏 {margin:+,.0f} 万元", "margin {margin:+,.0f}"),
    "legend.payment_change": ("结算额变化", "Change in final payment"),
    "legend.margin_change": (
        "盈亏变化（收入−固定与变动成本）",
        "Change in margin (income − fixed and variable cost)",
    ),
    "legend.gain": ("获益", "gains"),
    "legend.month_pv": ("基线月度点值", "Baseline, monthly"),
    "legend.year_end_pv": ("基线年终点值", "Baseline, year end"),
    "legend.recovered": ("追回 {wan} 万元", "recovered {wan} ×10,000 yuan"),
    "note.all_zero": (
        "各医院均为0、未绘制：{names}",
        "Zero for every hospital, not drawn: {names}",
    ),
    # Captions: how to read each figure, after its title.
    "caption.point_value": (
        "上行：基线各月点值（线为均值，阴影为各次重复的最小–最大范围），虚线为年终点值——它按全年的钱计算，"
        "含年终返还的调剂金，月度点值只分配扣除调剂金后的月度预算。月度预算按预测的各月点数占比分配，"
        "2月（春节）病例少、预算也少，点值因此没有季节性跳动。中行：各方案月度点值减去同一重复中基线的点值"
        "（阴影为95%区间）。下行：每RW单位金额（元，95%区间）——点数基准或权重重设时点值会重新标定，"
        "每RW单位金额才反映价格。",
        "Top: the baseline's monthly point value (line: mean; band: min–max over replications); "
        "dashed: the year-end point value, which prices the whole year's money including the "
        "reserve released at year end, while a month shares out only its part of the budget net "
        "of the reserve. Month budgets follow the forecast share of points of each month, so "
        "February (Spring Festival: fewer cases, a smaller budget) shows no seasonal jump. Middle: "
        "each variant's monthly point value minus the baseline's in the same replication (band: "
        "95% interval). Bottom: money per RW unit (yuan, 95% interval) — a point value rebases "
        "when base points or weights are re-set; money per RW unit is the price.",
    ),
    "caption.payment": (
        "条形为各医院组结算额的构成，菱形为医院成本减个人自付，两者之差即盈亏（右侧数字）。",
        "Bars: the parts of each hospital group's payment; diamonds: its cost less patient "
        "payments; the difference is its margin (the number on the right).",
    ),
    "caption.who_pays": (
        "每组两根条：蓝色为结算额变化，橙色为盈亏变化（收入减固定与变动成本），误差线为配对差的95%区间。"
        "减少服务等行为会降低结算额却提高盈亏，两者须同时看。",
        "Two bars per group: blue, the change in final payment; orange, the change in margin "
        "(income less fixed and variable cost); whiskers: 95% intervals of the paired differences. "
        "Acts like under-service lower the payment and raise the margin: read both.",
    ),
    "caption.audit": (
        "每种行为一幅小图：带有该行为的病例数（发生），以及其中被智能审核命中、被抽查、被检查和查实的例数，"
        "小图标题下为追回金额（多个方案时按图例顺序以“/”分隔）。只画发生了该行为的方案。",
        "A panel per act: the claims that carried it (done), and how many of them the audit "
        "screened, sampled, inspected and caught; under each panel's title, the money recovered "
        "(several variants: in the legend's order, split by “/”). Only the variants in which the "
        "act was done are drawn.",
    ),
    "caption.regions": (
        "每点为一个统筹区：左为年终点值与计划点值之比（1 = 按计划），右为该区医院盈亏占其收入的百分比；"
        "统筹区不少于5个时加箱线图（中位数与四分位距）。",
        "A dot per pooling region: left, the year-end point value against the planned one "
        "(1 = as planned); right, its hospitals' margin as a percentage of their income; a box "
        "(median and quartiles) where there are five regions or more.",
    ),
    "caption.coefficients": (
        "虚线为参考值1.0；各医院均为0的指标不画，图下注明。",
        "Dashed: the reference value 1.0; indicators that are zero for every hospital are not "
        "drawn and are named below the figure.",
    ),
    "caption.case_classes": (
        "各医院组病例按正常、费用极低、费用极高与特病单议分类的占比。",
        "Each hospital group's cases by class: normal, low-cost, high-cost and special review.",
    ),
    "caption.years": (
        "逐年的点值、病例组合指数与各行为发生率；阴影为各次重复的范围。",
        "Point value, case-mix index and act rates year by year; bands: range over replications.",
    ),
    "legend.loss": ("受损", "pays"),
    # Indicators behind the incentive coefficient.
    "ind.coefficient": ("鼓励系数", "Incentive coefficient"),
    "ind.score": ("综合评分（0–100）", "Score (0–100)"),
    "ind.cei": ("费用消耗指数 CEI", "Cost-efficiency index (CEI)"),
    "ind.tei": ("时间消耗指数 TEI", "Time-efficiency index (TEI)"),
    "ind.violation_rate": ("违规率（%）", "Violation rate (%)"),
    "ind.referral_out_high": ("高权重病例外转率（%）", "High-weight referral-out rate (%)"),
    # Behaviours (acts) of hospitals.
    "act.upcoding": ("套高病组", "Upcoding"),
    "act.shifting": ("推诿病人", "Patient shifting"),
    "act.splitting": ("分解住院", "Split admissions"),
    "act.induced": ("低标入院", "Induced admissions"),
    "act.phantom": ("虚报病例", "Phantom cases"),
    "act.underservice": ("减少服务", "Under-service"),
    "act.referral_down": ("向下转诊", "Down-referral"),
    # Variants that are not an act.
    "variant.baseline": ("基线", "Baseline"),
    "variant.all_gaming": ("全部行为", "All gaming at once"),
    "variant.strict_audit": ("严格审核", "Strict audit"),
    "variant.repricing": ("年终重新定价", "Year-end repricing"),
    "variant.clearing": ("年终清算", "Year-end clearing"),
    "variant.prepay_85": ("预付85%", "85% pre-paid"),
    "variant.pool_true_up": ("奖励池（按年度点值补足）", "Pool with true-up"),
    "variant.clearing_shared": ("清算：结余留用、超支分担", "Clearing, surplus and overrun shared"),
    "variant.clearing_reserve": (
        "清算：调剂金用于超支分担",
        "Clearing, the reserve for overrun sharing",
    ),
    "variant.floor": ("点值保底", "Point-value floor"),
    # Case classes.
    "class.normal": ("正常病例", "Normal"),
    "class.low": ("费用极低病例", "Low-cost outlier"),
    "class.high": ("费用极高病例", "High-cost outlier"),
    "class.special": ("特病单议", "Special review"),
    # Hospital groups.
    "group.other_tier": ("其他{tier_zh}医院（{count}家）", "Other tier-{tier} hospitals ({count})"),
    "group.generated": ("{tier_zh}医院{num}", "Tier-{tier} hospital {num}"),
    # A sweep's response table, figures and page.
    "sweep.region": ("全市", "Region"),
    "sweep.fund": ("{fund}基金", "{fund} fund"),
    "sweep.table_title": (
        "参数扫描响应表：{year}年，均值 ±95%区间半宽（{reps}次重复）",
        "Sweep response, {year}: mean ±95% half-interval over {reps} replications",
    ),
    "sweep.metric.point_value": ("年终点值（元/点）", "Year-end point value (yuan per point)"),
    "sweep.metric.final_fen": (
        "各医院组结算额（万元）",
        "Final payment by hospital group (10,000 yuan)",
    ),
    "sweep.metric.margin_yuan": ("各医院组盈亏（万元）", "Margin by hospital group (10,000 yuan)"),
    "sweep.title": (
        "{metric}随 {swept} 的变化（{year}年，均值与95%区间，{reps}次重复）",
        "{metric} against {swept}, {year} (mean and 95% interval, {reps} replications)",
    ),
    "sweep.held": ("其余参数固定：{held}", "other keys held at {held}"),
    "sweep.page_title": ("参数扫描：{scenario}", "Sweep: {scenario}"),
    "sweep.lead": (
        "情景 {scenario} 的方案“{variant}”，在 {points} 个参数组合上各运行 {reps} 次重复；"
        "同一重复在各组合下病人相同，差异来自参数本身。",
        "Variant '{variant}' of scenario {scenario}, run at {points} grid points with {reps} "
        "replications each; a replication sees the same patients at every point, so the "
        "differences are the keys' doing.",
    ),
    "sweep.grid": ("扫描的参数", "Swept keys"),
    "sweep.figures": ("响应图", "Response figures"),
    "sweep.tables": ("响应表", "Response tables"),
    "sweep.run": ("运行信息", "Run"),
    "sweep.col.key": ("参数", "key"),
    "sweep.col.values": ("取值", "values"),
    # The run information of a run report or a sweep page: manifest.json or sweep.json, row by row.
    "info.item": ("项目", "item"),
    "info.value": ("内容", "value"),
    "info.scenario": ("情景", "Scenario"),
    "info.scenario_file": ("情景文件", "Scenario file"),
    "info.file_sha": ("{file}（SHA-256 {sha}…）", "{file} (SHA-256 {sha}…)"),
    "info.variant": ("方案", "Variant"),
    "info.grid": ("参数组合", "Grid"),
    "info.grid_value": ("{points}个组合：{keys}", "{points} points: {keys}"),
    "info.grid_key": ("{name}（{n}个取值）", "{name} ({n} values)"),
    "info.replications": ("重复次数", "Replications"),
    "info.replications_value": ("每个组合{reps}次", "{reps} at each grid point"),
    "info.tasks_total": ("任务（组合×重复）", "Tasks (grid point × replication)"),
    "info.tasks_value": (
        "共{total}个，最近一次运行计算了{run}个，其余在先前的运行中已完成",
        "{total} in all: {run} computed by the latest run, the others by earlier runs",
    ),
    "info.seed": ("随机种子", "Seed"),
    "info.seeding": ("随机数", "Random numbers"),
    "info.seeding_value": (
        "SeedSequence(种子, spawn_key=(重复, 年, 月, 随机流))：同一重复在各参数组合下病人相同"
        "（共同随机数）",
        "SeedSequence(seed, spawn_key=(replication, year, month, stream)): grid points share "
        "each replication's patients (common random numbers)",
    ),
    "info.years": ("模拟年数", "Years simulated"),
    "info.start_year": ("起始年份", "First year"),
    "info.resolved_scenario_sha256": (
        "实际运行情景的哈希（含所继承的预设）",
        "Hash of the scenario as run (with any preset it extends)",
    ),
    "info.overrides": ("命令行改动（--set）", "Changed on the command line (--set)"),
    "info.variants": ("模拟的方案", "Variants simulated"),
    "info.regions": ("地区", "Regions"),
    "info.budget_source": ("预算来源", "Budget from"),
    "info.budget_source.scenario": ("情景设定", "set in the scenario"),
    "info.budget_source.budget-neutral default": (
        "默认：按基线费用预算中性",
        "default: budget-neutral on the baseline's cost",
    ),
    "info.catalogue": ("病组目录", "DRG catalogue"),
    "info.catalogue.builtin": ("内置目录", "built-in"),
    "info.cases_source": ("病例表", "Case table"),
    "info.rejected": ("拒收的行", "Rows rejected"),
    "info.cpu_count": ("处理器核数", "CPU cores"),
    "info.annual_budget_yuan": (
        "年度总额预算（首年，各基金合计）",
        "Annual budget (first year, all funds)",
    ),
    "info.tables": ("写出的表", "Tables written"),
    "info.layout": ("文件布局", "File layout"),
    "info.versions": ("软件版本", "Software versions"),
    "info.started": ("开始时间（最近一次运行）", "Started (latest run)"),
    "info.wall_seconds": ("用时（最近一次运行）", "Time taken (latest run)"),
    "info.seconds": ("{seconds:,.1f} 秒", "{seconds:,.1f} s"),
    "info.status": ("状态", "Status"),
    "info.status.complete": ("已完成", "complete"),
    "info.status.running": (
        "未完成（重新运行 drgsim sweep 即可续跑）",
        "unfinished (rerun drgsim sweep to resume)",
    ),
    "info.workers": ("并行进程", "Workers"),
    "info.workers_here": ("0（在本进程中依次运行）", "0 (run one by one in this process)"),
    "info.scheduler": ("Dask 集群", "Dask cluster"),
    "info.identity": ("情景、参数组合与方案的哈希", "Hash of scenario, grid and variant"),
    "info.identity_value": ("{sha}…（续跑时核对）", "{sha}… (checked when resuming)"),
    "footer": (
        "情景 {scenario} · 随机种子 {seed} · {reps}次重复 · drgsim {version}",
        "scenario {scenario} · seed {seed} · {reps} replications · drgsim {version}",
    ),
    # Report.
    "report.title": ("DRG点数法付费模拟报告：{scenario}", "DRG point-method payment: {scenario}"),
    "report.sentence": (
        "情景“{scenario}”模拟{region}{years}年（自{start}年起）的DRG点数法付费：{hospitals}家医院，"
        "首年（基线）约{admissions:,.0f}例住院，{variants}个方案×{reps}次重复，随机种子{seed}。",
        "Scenario “{scenario}” simulates DRG point-method payment in {region} over {years} "
        "year(s) from {start}: {hospitals} hospitals, about {admissions:,.0f} admissions in "
        "year one (baseline), {variants} variant(s) × {reps} replication(s), seed {seed}.",
    ),
    "report.key_numbers": (
        "关键数字（{year}年，基线，{reps}次重复均值）",
        "Key numbers ({year}, baseline, mean of {reps} replications)",
    ),
    "report.budget": ("DRG基金预算", "DRG fund budget"),
    "report.reserve": ("调剂金", "Adjustment reserve"),
    "report.point_value": ("年终点值", "Year-end point value"),
    "report.paid": ("支付给医院", "Paid to hospitals"),
    "report.retained": ("基金结余", "Retained by the fund"),
    "report.big": ("{yi:,.2f} 亿元", "{million:,.1f} million yuan"),
    "report.small": ("{wan:,.1f} 万元", "{million:,.2f} million yuan"),
    "report.pv": (
        "{value:.4f} 元/点（各次重复的范围 {lo:.4f}–{hi:.4f}）",
        "{value:.4f} yuan per point (range over replications {lo:.4f}–{hi:.4f})",
    ),
    "report.pv_regions": (
        "{value:.4f} 元/点，各统筹区×各次重复的均值（各统筹区×各次重复的范围 {lo:.4f}–{hi:.4f}；"
        "各统筹区均值的范围 {mean_lo:.4f}–{mean_hi:.4f}）",
        "{value:.4f} yuan per point, mean over regions × replications (range over regions × "
        "replications {lo:.4f}–{hi:.4f}; over region means {mean_lo:.4f}–{mean_hi:.4f})",
    ),
    "report.pv_region_means": (
        "各统筹区均值 {lo:.4f}–{hi:.4f}",
        "region means {lo:.4f}–{hi:.4f}",
    ),
    "report.figures": ("图表", "Figures"),
    "report.settlement": (
        "结算表（{year}年，基线，{reps}次重复均值）",
        "Settlement ({year}, baseline, mean of {reps} replications)",
    ),
    "report.all_hospitals": ("全部医院", "All hospitals"),
    "report.comparison": (
        "方案比较：结算额与盈亏相对基线的变化（万元，均值 [95%区间]）",
        "Variants against the baseline: change in final payment and in margin "
        "(10,000 yuan, mean [95% interval])",
    ),
    "report.payment_short": ("结算", "payment"),
    "report.margin_short": ("盈亏", "margin"),
    "report.comparison_hospitals": ("逐家医院（万元）", "Hospital by hospital (10,000 yuan)"),
    "report.no_variants": (
        "本次运行只有基线，没有可比较的方案。",
        "This run has only the baseline; there are no variants to compare.",
    ),
    "report.parameters": (
        "所用参数及默认值来源",
        "Parameters used and where each default comes from",
    ),
    "report.param_note": (
        "“情景设定”表示该值由情景文件给出，否则为默认值；说明取自 drgsim/scenario/meanings_zh.py"
        "（与 schema.py 的英文说明对应），默认值来源取自 drgsim/scenario/sources_zh.py。"
        "来源标记：[有据] 经公开来源核实；[据文献] 已发布的规则或数字，尚未核实出处；"
        "[推算] 由公开数字推算；[默认值] 引擎选定的合理默认值，并非已发布的规则（docs/rules.md）。",
        "“set” marks values the scenario file gives; the others are defaults. "
        "Meaning and source come from drgsim/scenario/schema.py.",
    ),
    "report.variants": ("方案（相对基线的改动）", "Variants (overrides of the baseline)"),
    "report.scenario_missing": (
        "情景文件 {file} 无法读取，以下参数为默认值，可能与本次运行不同。",
        "The scenario file {file} could not be read; the parameters "
        "below are the defaults and may differ from the run's.",
    ),
    "report.scenario_changed": (
        "情景文件 {file} 自运行以来已修改（sha256 不同），以下参数为其当前内容。",
        "The scenario file {file} has changed since the run (its "
        "sha256 differs); the parameters below are its current content.",
    ),
    "report.scenario_none": (
        "运行记录未注明情景文件，以下参数为默认值，可能与本次运行不同。",
        "The run's manifest names no scenario file; the parameters below are the defaults "
        "and may differ from the run's.",
    ),
    "report.run": ("运行信息", "Run"),
    "report.skipped": ("未绘制的图", "Figures not drawn"),
    "col.key": ("参数", "key"),
    "col.value": ("取值", "value"),
    "col.default": ("默认值", "default"),
    "col.set": ("情景设定", "set"),
    "col.doc": ("说明", "meaning"),
    "col.source": ("默认值来源", "source of the default"),
    "col.hospital": ("医院", "hospital"),
    "col.tier": ("级别", "tier"),
    "col.cases": ("病例数", "cases"),
    "col.cmi": ("CMI", "CMI"),
    "col.coefficient": ("鼓励系数", "coefficient"),
    "col.final": ("结算额（万元）", "final (10k yuan)"),
    "col.margin": ("盈亏（万元）", "margin (10k yuan)"),
    "col.prepaid": ("预付（万元）", "pre-paid (10k yuan)"),
    "col.incentive": ("奖励（万元）", "incentive (10k yuan)"),
    "col.deduction": ("扣减（万元）", "deductions (10k yuan)"),
    "col.variant": ("方案", "variant"),
    "report.budget_parts": (
        "{year}年预算去向（万元，{reps}次重复均值）",
        "Where every fen of the {year} budget went (10,000 yuan, mean of {reps} replications)",
    ),
    "report.budget_note": (
        "预算 = 支付给医院 + 调剂金留存 + 封顶结余 + 未返还预留金 + 其他留存（无病例月份的预算、"
        "归基金的扣款）；调剂金返还、保底补足和超支分担都已计入支付给医院的金额。",
        "budget = paid to hospitals + reserve kept + ceiling surplus + unpaid withholding + "
        "other retained (budgets of months without claims, deductions kept by the fund); the "
        "reserve released, the floor top-up and overrun sharing are part of what was paid.",
    ),
    "col.budget": ("预算", "budget"),
    "col.paid": ("支付给医院", "paid to hospitals"),
    "col.reserve_kept": ("调剂金留存", "reserve kept"),
    "col.ceiling_surplus": ("封顶结余", "ceiling surplus"),
    "col.unpaid_withholding": ("未返还预留金", "unpaid withholding"),
    "col.other_retained": ("其他留存", "other retained"),
    "col.reserve_released": ("其中：调剂金返还", "of which: reserve released"),
    "col.floor_topup": ("其中：保底补足", "of which: floor top-up"),
    "col.overrun_shared": ("其中：超支分担", "of which: overrun shared"),
    "col.overrides": ("改动", "overrides"),
    "skip.who_pays": (
        "“谁买单”图：本次运行没有基线以外的方案。",
        "Who-pays chart: the run has no variant besides the baseline.",
    ),
    "skip.audit": (
        "审核图：本次运行没有带行为的病例，或输出目录没有 audit.parquet。",
        "Audit chart: no claim carried an act, or the output has no audit.parquet.",
    ),
    "skip.case_classes": (
        "病例类型图：输出目录没有 cases.parquet（运行时加 --cases 即可生成）。",
        "Case-class chart: the output has no cases.parquet (run with --cases to draw it).",
    ),
    "skip.years": ("逐年图：本次运行只有一年。", "Over-the-years chart: the run covers one year."),
    # Findings: sentences written from the run's numbers (present/findings.py).
    "report.findings": (
        "主要发现（{year}年，{reps}次重复均值）",
        "Findings ({year}, mean of {reps} replications)",
    ),
    "report.findings_baseline": ("基线", "Baseline"),
    "report.findings_variant": ("{variant}（相对基线）", "{variant}, against the baseline"),
    "finding.baseline_loss": (
        "基线下{who}入不敷出：盈亏{margin_yuan}，为其成本的{margin_share}。",
        "At baseline the margin of {who} is negative: {margin_yuan}, {margin_share} of cost.",
    ),
    "finding.baseline_covered": (
        "基线下每家医院（及各级别医院合计）的收入都覆盖了成本，盈亏均不为负。",
        "At baseline every hospital (and tier group) covers its cost: no margin is negative.",
    ),
    "finding.gain": (
        "{measure}增加最多的是{who}：{change_yuan}{interval}。",
        "Largest rise in {measure}: {who}, {change_yuan}{interval}.",
    ),
    "finding.loss": (
        "{measure}减少最多的是{who}：{change_yuan}{interval}。",
        "Largest fall in {measure}: {who}, {change_yuan}{interval}.",
    ),
    "finding.no_gain": ("没有医院的{measure}增加。", "No hospital gains in {measure}."),
    "finding.no_loss": ("没有医院的{measure}减少。", "No hospital loses in {measure}."),
    "finding.same": ("各医院的{measure}都没有变化。", "No change in {measure} for any hospital."),
    "finding.interval": ("（95%区间 {lo} 至 {hi}）", " (95% interval {lo} to {hi})"),
    "finding.unsure": (
        "（95%区间 {lo} 至 {hi}，含0，可能只是随机波动）",
        " (95% interval {lo} to {hi}: it includes 0, so this may be chance)",
    ),
    "finding.no_interval": ("（仅1次重复，无区间）", " (one replication: no interval)"),
    "measure.margin": ("盈亏", "margin"),
    "measure.payment": ("结算额", "final payment"),
    "measure.both": ("盈亏和结算额", "margin and final payment"),
    "finding.point_value": (
        "{fund}点值：基线{base_pv}元/点，本方案{variant_pv}元/点（{change_share}）。",
        "Point value{fund}: {base_pv} yuan per point at baseline, {variant_pv} here ({change_share}).",
    ),
    "finding.point_value_regions": (
        "{fund}点值（各统筹区均值）：基线{base_pv}元/点，本方案{variant_pv}元/点（{change_share}）。",
        "Point value{fund}, mean over the regions: {base_pv} yuan per point at baseline, "
        "{variant_pv} here ({change_share}).",
    ),
    "finding.fund": ("{fund}基金", " of fund {fund}"),
    "finding.audit": (
        "审核：{done:,.0f}例病例带有违规行为，其中{reviewed:,.0f}例被复核、{caught:,.0f}例查实"
        "（占违规病例的{caught_share}），追回{recovered_yuan}；另有{cleared:,.0f}例无违规病例"
        "被复核后澄清。",
        "Audit: {done:,.0f} claims carried an act; {reviewed:,.0f} of them were reviewed and "
        "{caught:,.0f} caught ({caught_share} of them), and {recovered_yuan} was recovered; "
        "{cleared:,.0f} honest claims were reviewed and cleared.",
    ),
    "finding.audit_no_acts": (
        "审核：没有病例带有违规行为；{cleared:,.0f}例病例被复核后澄清，未追回资金。",
        "Audit: no claim carried an act; {cleared:,.0f} claims were reviewed and cleared, "
        "and nothing was recovered.",
    ),
    "finding.budget": (
        "预算{budget_yuan}：{paid_yuan}（{paid_share}）支付给医院，{kept_yuan}留在基金（{kept}）。",
        "Budget {budget_yuan}: {paid_yuan} ({paid_share}) paid to hospitals, {kept_yuan} kept "
        "by the fund ({kept}).",
    ),
    "finding.budget_all_paid": (
        "预算{budget_yuan}全部支付给医院。",
        "The whole budget, {budget_yuan}, was paid to hospitals.",
    ),
    "finding.wan": ("{wan:,.1f} 万元", "{million:,.2f} million yuan"),
    "finding.wan_signed": ("{wan:+,.1f} 万元", "{million:+,.2f} million yuan"),
    "finding.yuan": ("{yuan:,.0f} 元", "{yuan:,.0f} yuan"),
    "finding.yuan_signed": ("{yuan:+,.0f} 元", "{yuan:+,.0f} yuan"),
    "report.audit": (
        "审核结果（{year}年，各医院合计，{reps}次重复均值）",
        "What the audit did ({year}, summed over hospitals, mean of {reps} replications)",
    ),
    "report.audit_note": (
        "每行一种违规行为：带有该行为的病例数，其中被智能审核标记、随机抽查、专项检查、复核（任一途径）"
        "和查实的病例数，扣减点数及追回金额（万元）。“无违规”一行是被复核后澄清的误报。"
        "既无病例也未被复核的行为不列出。",
        "One row per act: the claims carrying it, and of them those flagged by the screening, "
        "sampled, inspected, reviewed (by any route) and caught, the points deducted and the "
        "money recovered (10,000 yuan). The “no act” row holds false alarms, reviewed and "
        "cleared. Acts no claim carried and no review reached are left out.",
    ),
    "report.audit_none": (
        "输出目录没有 audit.parquet。",
        "The output has no audit.parquet.",
    ),
    "report.audit_no_act": ("无违规", "no act"),
    "col.act": ("行为", "act"),
    "col.audit_claims": ("带该行为的病例", "claims with the act"),
    "col.audit_screened": ("智能审核标记", "screened"),
    "col.audit_sampled": ("随机抽查", "sampled"),
    "col.audit_inspected": ("专项检查", "inspected"),
    "col.audit_reviewed": ("复核", "reviewed"),
    "col.audit_confirmed": ("查实", "caught"),
    "col.audit_deducted_points": ("扣减点数", "points deducted"),
    "col.audit_recovered_fen": ("追回（万元）", "recovered (10k yuan)"),
    "report.regions": (
        "各统筹区（{year}年，基线，{reps}次重复均值）",
        "Pooling regions ({year}, baseline, mean of {reps} replications)",
    ),
    "report.regions_note": (
        "{count}个统筹区各自有预算、点值和结算；合计行是各统筹区之和（点值列为各统筹区均值的范围）。"
        "金额单位：万元。",
        "Each of the {count} regions has its own budget, point value and settlement; the "
        "total row is the sum over the regions (its point value column the range of the "
        "regions' means). "
        "Money in 10,000 yuan.",
    ),
    "report.national": ("全部统筹区合计", "All regions together"),
    "report.regions_each": ("逐个统筹区（{count}个）", "Region by region ({count})"),
    "col.region": ("统筹区", "region"),
    "col.hospitals": ("医院数", "hospitals"),
    "col.retained": ("基金结余", "retained"),
    "col.point_value": ("点值（元/点）", "point value (yuan per point)"),
    "yes": ("是", "yes"),
    "no": ("", ""),
}

TIER_ZH = {3: "三级", 2: "二级", 1: "一级"}

HOSPITAL_EN = {
    "汕尾市人民医院": "Shanwei People's Hospital",
    "汕尾市第二人民医院": "Shanwei Second People's Hospital",
    "海丰县彭湃纪念医院": "Haifeng Peng Pai Memorial Hospital",
    "陆丰市人民医院": "Lufeng People's Hospital",
    "陆河县人民医院": "Luhe People's Hospital",
}

_GENERATED = re.compile(r"^T(\d)-(\d+)$")


def check_lang(lang: str) -> str:
    """The language code, refused with a clear message unless it is zh or en."""
    if lang not in LANGS:
        raise ValueError(f"lang: got {lang!r}; allowed: zh, en")
    return lang


def text(key: str, lang: str, **values: object) -> str:
    """The label `key` in `lang`, with `values` filled in."""
    zh, en = _TEXT[key]
    template = zh if check_lang(lang) == "zh" else en
    return template.format(tier_zh=TIER_ZH.get(_int(values.get("tier")), ""), **values)


def has(key: str) -> bool:
    """Whether there is a label `key`."""
    return key in _TEXT


def act(name: str, lang: str) -> str:
    """The name of a hospital act (upcoding 套高病组 …)."""
    return text(f"act.{name}", lang) if f"act.{name}" in _TEXT else name


def variant(name: str, lang: str) -> str:
    """The label of a scenario variant: a known name, an act, or the name itself."""
    for key in (f"variant.{name}", f"act.{name}"):
        if key in _TEXT:
            return text(key, lang)
    return name


def fund(name: str, lang: str) -> str:
    """The label of a fund: a known one (职工, 居民), or its name."""
    return text(f"fund.{name}", lang) if f"fund.{name}" in _TEXT else name


def case_class(name: str, lang: str) -> str:
    """The label of a case class (normal, low, high, special)."""
    return text(f"class.{name}", lang) if f"class.{name}" in _TEXT else name


def is_generated(hospital: str) -> bool:
    """Whether a hospital id is one generated by rule (T2-01 …) rather than listed by name."""
    return _GENERATED.match(hospital) is not None


def hospital(hospital_id: str, name: str, lang: str) -> str:
    """A hospital's label: its Chinese name in zh; an English name or its id and name in en."""
    match = _GENERATED.match(hospital_id)
    if match:
        return text("group.generated", lang, tier=int(match.group(1)), num=match.group(2))
    if check_lang(lang) == "zh":
        return name or hospital_id
    if name in HOSPITAL_EN:
        return HOSPITAL_EN[name]
    return f"{hospital_id} {name}".strip()


def other_tier(tier: int, count: int, lang: str) -> str:
    """The label of the generated hospitals of one tier, taken together."""
    return text("group.other_tier", lang, tier=tier, count=count)


def all_strings(lang: str) -> list[str]:
    """Every fixed label in `lang` (with sample values), for glyph-coverage checks."""
    sample = {
        "reps": 3,
        "year": 2021,
        "tier": 2,
        "count": 10,
        "num": "01",
        "margin": -1234.5,
        "scenario": "shanwei",
        "seed": 1,
        "version": "0.1.0",
        "region": "汕尾市",
        "years": 1,
        "start": 2021,
        "hospitals": 40,
        "admissions": 300000.0,
        "variants": 2,
        "value": 1.5,
        "lo": 1.0,
        "hi": 2.0,
        "file": "x.yaml",
        "yi": 14.15,
        "wan": 12.5,
        "million": 1415.5,
        "yuan": 1234.0,
        "who": "汕尾市人民医院",
        "measure": "盈亏",
        "variant": "套高病组",
        "fund": "职工",
        "interval": "（95%区间）",
        "kept": "调剂金留存",
        "swept": "audit.sample_rate",
        "metric": "年终点值",
        "held": "audit.penalty.upcoding=2",
        "points": 15,
        **{k: "+1.0 万元" for k in ("margin_yuan", "change_yuan", "recovered_yuan")},
        **{k: "1.0 万元" for k in ("budget_yuan", "paid_yuan", "kept_yuan")},
        **{k: "+1.0%" for k in ("margin_share", "change_share", "caught_share", "paid_share")},
        **{k: 1.5 for k in ("base_pv", "variant_pv", "done", "reviewed", "caught", "cleared")},
        "drg": "FM19",
        "cases": 12.0,
        "names": "违规率",
        **{k: "0123456789ab" for k in ("sha", "name", "keys")},
        **{"n": 3, "total": 18, "run": 5, "seconds": 75.2, "mean_lo": 1.0, "mean_hi": 2.0},
    }
    out = [text(key, lang, **sample) for key in _TEXT]
    if lang == "zh":
        out += list(HOSPITAL_EN)
    return out


def _int(value: object) -> int:
    """`value` as an int where it is one, else 0."""
    return value if isinstance(value, int) else 0
