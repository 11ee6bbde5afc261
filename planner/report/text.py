"""Every piece of report text in English and Chinese, and number formatting for readers.

One table, :data:`STRINGS`, maps a message id to its English and Chinese text; titles,
axis labels, legends, section headings and sentences all come from it, so a translator
edits one place. Sentences take ``str.format`` fields (``{year}``, ``{value}``).

Numbers are formatted for officials rather than engineers: thousands separators, a few
significant digits, and the unit in the reader's language (money in billion yuan in
English and 亿元 in Chinese).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

LANGS = ("en", "zh")

STRINGS: dict[str, dict[str, str]] = {
    # --- page and sections ---------------------------------------------------------
    "report.title": {"en": "Computing-power build-out plan", "zh": "算力基础设施建设规划"},
    "report.subtitle": {
        "en": "East Data, West Computing: where the racks go, how they are powered, what it costs",
        "zh": "东数西算：机架布局、能源供给与成本",
    },
    "report.scenario": {"en": "Scenario", "zh": "情景"},
    "report.generated": {"en": "Generated", "zh": "生成时间"},
    "report.contents": {"en": "Contents", "zh": "目录"},
    "report.run_dir": {"en": "Run folder", "zh": "运行目录"},
    "report.no_plan": {
        "en": "The solver returned no plan (status: {status}). Only the run's inputs are shown.",
        "zh": "求解器未给出方案（状态：{status}），以下仅展示本次运行的输入。",
    },
    "section.summary": {"en": "Executive summary", "zh": "摘要"},
    "section.racks": {"en": "Where the racks go", "zh": "机架布局"},
    "section.power": {"en": "How they are powered", "zh": "能源供给"},
    "section.flows": {"en": "East-west flows", "zh": "东西部算力调度"},
    "section.costs": {"en": "Costs", "zh": "成本"},
    "section.sweep": {"en": "What-if sweep", "zh": "情景分析"},
    "section.appendix": {"en": "Data and assumptions", "zh": "数据与假设"},
    # --- executive summary ---------------------------------------------------------
    "summary.targets": {"en": "Targets and what the plan achieves", "zh": "目标与规划完成情况"},
    "summary.indicator": {"en": "Indicator", "zh": "指标"},
    "summary.target": {"en": "Target", "zh": "目标"},
    "summary.achieved": {"en": "Achieved", "zh": "规划值"},
    "summary.met": {"en": "met", "zh": "达成"},
    "summary.missed": {"en": "short", "zh": "未达成"},
    "summary.total_eflops": {"en": "Total computing power", "zh": "算力总规模"},
    "summary.intelligent_fp16": {
        "en": "Intelligent computing, FP16 basis (converted)",
        "zh": "智能算力（FP16口径，换算）",
    },
    "summary.basis": {
        "en": (
            "Computing power is counted in service (在用) in FP32-equivalent EFLOPS, the MIIT "
            "infrastructure basis (230 EFLOPS at end-2023, 280 at end-2024). Official reporting "
            "since 2025 quotes intelligent computing at FP16 half precision (788 EFLOPS in "
            "mid-2025); the FP16 row converts the plan's intelligent computing at {ratio:.2f} "
            "FP16 EFLOPS per FP32 EFLOPS, the ratio of the two series in 2024 (725.3 / 90, "
            "an assumption: data/params.csv)."
        ),
        "zh": (
            "算力按在用口径、以FP32等效EFLOPS计（工信部基础设施口径：2023年底230 EFLOPS，"
            "2024年底280 EFLOPS）。2025年起官方发布的智能算力按FP16半精度计（2025年年中788 "
            "EFLOPS）；FP16一行按{ratio:.2f}换算规划的智能算力，即2024年两个口径之比"
            "（725.3 / 90，假设值，见 data/params.csv）。"
        ),
    },
    "summary.intelligent_share": {"en": "Intelligent (AI) share", "zh": "智能算力占比"},
    "summary.green_share": {
        "en": "Green power share of new hub capacity, lowest hub",
        "zh": "枢纽新增算力绿电占比（最低枢纽）",
    },
    "summary.racks_total_std": {"en": "Racks in use", "zh": "在用机架"},
    "summary.racks_new_std": {"en": "New racks built", "zh": "新建机架"},
    "summary.cost": {"en": "Total cost", "zh": "总成本"},
    "summary.emissions": {"en": "Emissions", "zh": "碳排放"},
    "summary.energy": {"en": "Electricity use", "zh": "用电量"},
    "summary.headline": {"en": "Headline figures", "zh": "主要数据"},
    "summary.per_year": {"en": "{year}", "zh": "{year}年"},
    "summary.objective": {
        "en": "Objective (discounted total cost)",
        "zh": "目标函数（折现总成本）",
    },
    "summary.all_met": {"en": "All targets are met.", "zh": "全部目标均已达成。"},
    "summary.shortfall": {"en": "Shortfalls", "zh": "缺口"},
    "summary.shortfall_line": {
        "en": "In {year}, the {what} target falls short by {amount}.",
        "zh": "{year}年，{what}目标存在缺口：{amount}。",
    },
    "summary.marginal": {"en": "What the targets cost at the margin", "zh": "目标的边际成本"},
    "summary.marginal_none": {
        "en": "No marginal costs were computed for this run.",
        "zh": "本次运行未计算边际成本。",
    },
    "summary.binding": {"en": "Limits the plan presses against", "zh": "起约束作用的限制"},
    "summary.binding_none": {
        "en": "No site limit is binding.",
        "zh": "没有起约束作用的站点限制。",
    },
    "summary.binding_line": {
        "en": "{what} at {site} in {year}: {value} of {bound}",
        "zh": "{year}年{site}{what}：{value}（上限 {bound}）",
    },
    "summary.explanation": {"en": "In the solver's words", "zh": "求解说明"},
    "summary.status": {"en": "Solver status", "zh": "求解状态"},
    "col.limit": {"en": "Limit", "zh": "限制"},
    "col.site": {"en": "Site", "zh": "站点"},
    "col.year": {"en": "Year", "zh": "年份"},
    "col.value": {"en": "Value", "zh": "数值"},
    "col.bound": {"en": "Bound", "zh": "上限"},
    "col.constraint": {"en": "Target or rule", "zh": "目标或规则"},
    "col.unit": {"en": "Unit", "zh": "单位"},
    # marginal costs: constraint name -> label; unit ids below
    "marginal.total_eflops": {"en": "One more EFLOPS of total compute", "zh": "每增加1 EFLOPS算力"},
    "marginal.intelligent_share": {
        "en": "One more point of intelligent (AI) share",
        "zh": "智能算力占比每提高1个百分点",
    },
    "marginal.intelligent_eflops": {
        "en": "One more EFLOPS of intelligent compute",
        "zh": "每增加1 EFLOPS智能算力",
    },
    "marginal.green_share": {"en": "Green power rule", "zh": "绿电占比要求"},
    "marginal.carbon_cap": {
        "en": "One tonne less CO₂ (carbon cap)",
        "zh": "每减少1吨二氧化碳（排放上限）",
    },
    "marginal.carbon": {"en": "One tonne less CO₂", "zh": "每减少1吨二氧化碳"},
    "marginal.demand": {"en": "Serving one more EFLOPS of demand", "zh": "每多满足1 EFLOPS需求"},
    "marginal.hourly_cfe": {"en": "Hourly clean-energy matching", "zh": "逐时清洁能源匹配"},
    "marginal.total_compute_cny_per_eflops": {
        "en": "One more EFLOPS of national compute",
        "zh": "全国算力每增加1 EFLOPS",
    },
    "marginal.intelligent_share_cny_per_point": {
        "en": "One more point of intelligent (AI) share",
        "zh": "智能算力占比每提高1个百分点",
    },
    "marginal.intelligent_share_cny_per_eflops": {
        "en": "Intelligent share rule, per EFLOPS",
        "zh": "智能算力占比要求（每EFLOPS）",
    },
    "marginal.green_share_cny_per_point": {
        "en": "One more point of green power share",
        "zh": "绿电占比每提高1个百分点",
    },
    "marginal.green_share_cny_per_mwh": {
        "en": "Green power rule, per MWh",
        "zh": "绿电占比要求（每兆瓦时）",
    },
    "marginal.carbon_cap_cny_per_tco2": {
        "en": "One tonne less CO₂ under the cap",
        "zh": "排放上限每收紧1吨二氧化碳",
    },
    # shortfall names
    "shortfall.total_eflops": {"en": "total computing power", "zh": "算力总规模"},
    "shortfall.intelligent_share": {"en": "intelligent (AI) share", "zh": "智能算力占比"},
    "shortfall.demand": {"en": "demand", "zh": "算力需求"},
    "shortfall.occupancy": {"en": "occupancy of existing racks", "zh": "存量机架上架率"},
    "shortfall.green_share": {"en": "green power", "zh": "绿电占比"},
    "shortfall.hourly_cfe": {"en": "hourly clean-energy", "zh": "逐时清洁能源"},
    "shortfall.carbon_cap": {"en": "carbon cap", "zh": "碳排放上限"},
    # binding limit names
    "limit.rack_limit_std": {"en": "Rack limit", "zh": "机架规模上限"},
    "limit.solar_limit_mw": {"en": "Solar capacity limit", "zh": "光伏装机上限"},
    "limit.wind_limit_mw": {"en": "Wind capacity limit", "zh": "风电装机上限"},
    "limit.hydro_limit_mw": {"en": "Hydro contract limit", "zh": "水电合同上限"},
    "limit.grid_limit_mw": {"en": "Grid connection limit", "zh": "电网接入上限"},
    "limit.build_limit_std_per_year": {"en": "Build-rate limit", "zh": "年度建设速度上限"},
    # statuses
    "status.optimal": {"en": "optimal", "zh": "最优"},
    "status.feasible": {"en": "feasible (not proven optimal)", "zh": "可行（未证明最优）"},
    "status.infeasible": {"en": "infeasible", "zh": "不可行"},
    "status.time_limit": {"en": "stopped at the time limit", "zh": "达到时间上限"},
    "status.error": {"en": "error", "zh": "出错"},
    # --- section intros --------------------------------------------------------------
    "intro.racks": {
        "en": "New racks by site, class and year. Bubbles are placed at each cluster's "
        "longitude and latitude and sized by the new racks built over the plan.",
        "zh": "按站点、类别和年份的新建机架。气泡位于各集群的经纬度，大小表示规划期内新建机架数。",
    },
    "intro.power": {
        "en": "The energy that powers each site, the hourly balance on the representative "
        "days, the green-power share against the rule, and emissions.",
        "zh": "各站点的能源构成、典型日逐时电力平衡、绿电占比与政策要求的对比，以及碳排放。",
    },
    "intro.flows": {
        "en": "Compute demand by origin region and service, and the sites that serve it. "
        "Link colours show the service's latency tier.",
        "zh": "按需求来源地区和业务类型的算力需求及承接站点。连线颜色表示业务的时延等级。",
    },
    "intro.costs": {
        "en": "Annual costs (undiscounted) by component and by hub.",
        "zh": "按成本构成和枢纽划分的年度成本（未折现）。",
    },
    "intro.appendix": {
        "en": "Every input table with its sources and the confidence of its figures, the "
        "model file this run used, and how the solver did.",
        "zh": "各输入数据表的来源及可信度、本次运行所用模型文件，以及求解情况。",
    },
    "appendix.no_provenance": {
        "en": "This run carries no record of the sources of its inputs (it was solved by an "
        "earlier version of planner), so they cannot be listed here.",
        "zh": "本次运行未记录输入数据的来源（由较早版本的 planner 求解），无法在此列出。",
    },
    "appendix.tables": {"en": "Input tables", "zh": "输入数据表"},
    "appendix.table": {"en": "Table", "zh": "数据表"},
    "appendix.rows": {"en": "Rows", "zh": "行数"},
    "appendix.confidence": {"en": "Confidence (rows)", "zh": "可信度（行数）"},
    "appendix.sources_used": {"en": "Sources", "zh": "来源"},
    "appendix.bibliography": {"en": "Sources", "zh": "参考来源"},
    "appendix.source_id": {"en": "Id", "zh": "编号"},
    "appendix.issuer": {"en": "Issuer", "zh": "发布机构"},
    "appendix.document": {"en": "Document", "zh": "文件"},
    "appendix.date": {"en": "Date", "zh": "日期"},
    "appendix.url": {"en": "Address", "zh": "网址"},
    "appendix.model_file": {"en": "Model file used", "zh": "所用模型文件"},
    "appendix.no_model_file": {
        "en": "The run folder holds no model.yaml.",
        "zh": "运行目录中没有 model.yaml。",
    },
    "appendix.solver": {"en": "Solver", "zh": "求解器"},
    "appendix.status": {"en": "Status", "zh": "状态"},
    "appendix.gap": {"en": "MIP gap", "zh": "混合整数间隙"},
    "appendix.message": {"en": "Solver message", "zh": "求解器信息"},
    "appendix.time_slices": {"en": "Time slices", "zh": "时间切片"},
    "appendix.timings": {"en": "Timings", "zh": "耗时"},
    "appendix.versions": {"en": "Versions", "zh": "软件版本"},
    "appendix.step": {"en": "Step", "zh": "步骤"},
    "appendix.seconds": {"en": "Seconds", "zh": "秒"},
    "appendix.package": {"en": "Package", "zh": "软件包"},
    "appendix.version": {"en": "Version", "zh": "版本"},
    "timing.load": {"en": "load inputs", "zh": "读取输入"},
    "timing.design_hint": {
        "en": "start: builds on 8 representative days",
        "zh": "起点：8个典型日的建设决策",
    },
    "timing.case_update": {"en": "set the case on the built model", "zh": "在已构建模型上设置算例"},
    "timing.build": {"en": "build model", "zh": "构建模型"},
    "timing.solve": {"en": "solve (total)", "zh": "求解（合计）"},
    "timing.highs": {"en": "HiGHS", "zh": "HiGHS"},
    "timing.duals_and_extract": {"en": "marginal costs and extraction", "zh": "边际成本与结果提取"},
    "timing.write": {"en": "write run folder", "zh": "写入运行目录"},
    "confidence.high": {"en": "high", "zh": "高"},
    "confidence.medium": {"en": "medium", "zh": "中"},
    "confidence.low": {"en": "low", "zh": "低"},
    "confidence.assumption": {"en": "assumption", "zh": "假设"},
    # --- figures -------------------------------------------------------------------
    "fig.targets.title": {
        "en": "Computing power: plan against target",
        "zh": "算力规模：规划值与目标",
    },
    "fig.map.title": {
        "en": "New racks by cluster (bubble area)",
        "zh": "各集群新建机架（气泡面积）",
    },
    "fig.map.outside": {
        "en": "Outside the national clusters (spread over every province, not drawn): {racks} new",
        "zh": "国家集群以外（分布于各省，未在图中绘出）：新建{racks}",
    },
    "fig.map.size_legend": {"en": "Bubble area: new racks", "zh": "气泡面积：新建机架"},
    "fig.outside_apart": {
        "en": "Outside the national clusters, on its own scale",
        "zh": "国家集群以外（单独刻度）",
    },
    "fig.outside_apart_hub": {
        "en": "Outside the national hub nodes, on its own scale",
        "zh": "国家枢纽节点以外（单独刻度）",
    },
    "fig.util.title": {
        "en": "Compute in service and the demand it serves, by site",
        "zh": "各站点在用算力与承接需求",
    },
    "fig.util.served": {"en": "Served: {cls}", "zh": "承接：{cls}"},
    "fig.util.idle": {"en": "In service, not used", "zh": "在用未承接"},
    "fig.util.rule": {"en": "Occupancy the rules require", "zh": "上架率要求"},
    "fig.util.occupancy": {"en": "Occupancy", "zh": "上架率"},
    "fig.racks_hub.title": {
        "en": "New racks by hub, class and year",
        "zh": "各枢纽分类别、分年度新建机架",
    },
    "fig.mix.title": {"en": "Energy by source and site", "zh": "各站点能源构成"},
    "fig.dispatch.title": {
        "en": "Hourly power balance, representative days, {year}",
        "zh": "典型日逐时电力平衡（{year}年）",
    },
    "fig.dispatch.window": {
        "en": "Hourly power balance, four sample weeks, {year}",
        "zh": "逐时电力平衡（{year}年，四个样本周）",
    },
    "fig.dispatch.choose": {"en": "Site:", "zh": "站点："},
    "fig.dispatch.day": {"en": "Day {day}", "zh": "第{day}日"},
    "fig.dispatch.day_weight": {"en": "Day {day} (×{weight})", "zh": "第{day}日（×{weight}）"},
    "fig.green.title": {
        "en": "Green power share by hub against the rule",
        "zh": "各枢纽绿电占比与政策要求",
    },
    "fig.green.rule": {"en": "Rule: {value}", "zh": "要求：{value}"},
    "fig.emissions.title": {"en": "Emissions by site", "zh": "各站点碳排放"},
    "fig.flows.title": {
        "en": "Where demand is served, {year}",
        "zh": "算力需求承接去向（{year}年）",
    },
    "fig.flows.unserved": {"en": "Not served", "zh": "未满足"},
    "fig.cost_component.title": {"en": "Annual cost by component", "zh": "年度成本构成"},
    "fig.cost_hub.title": {"en": "Annual cost by hub", "zh": "各枢纽年度成本"},
    "fig.cost_hub.partial": {
        "en": "Annual cost by hub: not in this run (solved by an earlier version of planner)",
        "zh": "各枢纽年度成本：本次运行未记录（由较早版本的 planner 求解）",
    },
    "fig.sweep.title": {
        "en": "Cost and emissions of each case",
        "zh": "各情景的成本与排放",
    },
    "fig.frontier.title": {
        "en": "Cost-carbon frontier: least cost for each emission cap",
        "zh": "成本—碳排放前沿：各排放上限下的最低成本",
    },
    "fig.sweep_lines.title": {
        "en": "Discounted total cost as the {option} moves",
        "zh": "折现总成本随{option}的变化",
    },
    "fig.sweep_heatmap.title": {
        "en": "Discounted total cost, {years}, over the grid of varied options",
        "zh": "各参数组合下的折现总成本（{years}）",
    },
    "fig.sweep_tornado.title": {
        "en": "Sensitivity: cost change from the base case ({base}), one option at a time",
        "zh": "敏感性：逐项改变参数时相对基准情景（{base}）的成本变化",
    },
    "section.frontier": {"en": "Cost-carbon frontier", "zh": "成本—碳排放前沿"},
    "intro.sweep": {
        "en": "Each case is the model solved again with the values shown; the rest of the "
        "report shows the base case in full.",
        "zh": "每个情景均以所列参数值重新求解模型；本报告其余部分完整展示基准情景。",
    },
    "intro.frontier": {
        "en": "The least-cost plan under a cap on emissions in every plan year, from the "
        "least-carbon end (a carbon price high enough that spending more buys no further "
        "cut) to the least-cost end (no binding cap); the rest of the report shows the "
        "least-cost end in full.",
        "zh": "在每个规划年度设定排放上限时的最低成本方案：从最低碳端（碳价高到再多投入也无法"
        "继续减排）到最低成本端（上限不起作用）；本报告其余部分完整展示最低成本端。",
    },
    "sweep.cases": {"en": "Cases", "zh": "情景"},
    "sweep.case": {"en": "Case {n}", "zh": "情景{n}"},
    "sweep.base": {"en": "base case", "zh": "基准情景"},
    "sweep.base_legend": {"en": "Base case", "zh": "基准情景"},
    "sweep.points": {"en": "Points on the frontier", "zh": "前沿上的点"},
    "sweep.least_cost": {"en": "least-cost end", "zh": "最低成本端"},
    "sweep.least_carbon": {"en": "least-carbon end", "zh": "最低碳端"},
    "sweep.point": {"en": "{share} of the way", "zh": "两端之间{share}处"},
    "sweep.targets": {"en": "Targets", "zh": "目标"},
    "sweep.point_col": {"en": "Point on the frontier", "zh": "前沿上的点"},
    "sweep.table": {"en": "The cases", "zh": "情景一览"},
    "sweep.table_frontier": {"en": "The points on the frontier", "zh": "前沿上的点一览"},
    "sweep.cost_axis": {"en": "Discounted total cost, {years}", "zh": "折现总成本（{years}）"},
    "sweep.emissions_year": {"en": "Emissions in {year}", "zh": "{year}碳排放"},
    "sweep.emissions_total": {"en": "Emissions, {years} in total", "zh": "{years}累计碳排放"},
    "sweep.delta_cost": {"en": "Cost against the base case", "zh": "成本较基准情景"},
    "sweep.delta_emissions": {"en": "Emissions against the base case", "zh": "排放较基准情景"},
    "sweep.per_tonne": {
        "en": "Average cost of a tonne cut, against the least-cost end",
        "zh": "较最低成本端每减排1吨的平均成本",
    },
    "sweep.base_note": {
        "en": "Changes are against the base case ({base}).",
        "zh": "变化量均相对于基准情景（{base}）。",
    },
    "sweep.no_base": {
        "en": "No case has the model's own values, so no change against a base case is shown; "
        "the rest of the report shows the first solved case.",
        "zh": "没有情景采用模型本身的参数值，因此不列出相对基准情景的变化；"
        "本报告其余部分展示第一个已求解的情景。",
    },
    "report.kind": {"en": "Report of", "zh": "报告类型"},
    "report.kind_sweep": {"en": "a what-if sweep of {n} cases", "zh": "{n}个情景的情景分析"},
    "report.kind_frontier": {
        "en": "a cost-carbon frontier of {n} points",
        "zh": "含{n}个点的成本—碳排放前沿",
    },
    "report.whatif": {"en": "What was set", "zh": "调整的参数"},
    "legend.tornado_low": {"en": "lowest", "zh": "最低"},
    "legend.tornado_high": {"en": "highest", "zh": "最高"},
    "axis.cost_change": {"en": "Change in discounted cost", "zh": "折现总成本变化"},
    "axis.year": {"en": "Year", "zh": "年份"},
    "axis.hour": {"en": "Hour of the representative days", "zh": "典型日小时"},
    "axis.longitude": {"en": "Longitude", "zh": "经度"},
    "axis.latitude": {"en": "Latitude", "zh": "纬度"},
    "axis.site": {"en": "Site", "zh": "站点"},
    "axis.hub": {"en": "Hub", "zh": "枢纽"},
    "axis.hub_all": {"en": "All hubs", "zh": "全部枢纽"},
    "legend.target": {"en": "Target", "zh": "目标"},
    "legend.achieved": {"en": "Plan", "zh": "规划"},
    "legend.load": {"en": "Facility load", "zh": "设施负荷"},
    "legend.charge": {"en": "Battery charging", "zh": "储能充电"},
    "legend.discharge": {"en": "Battery discharge", "zh": "储能放电"},
    "legend.curtailment": {"en": "Curtailment", "zh": "弃电"},
    # --- tables: utilisation and cost by site ----------------------------------------
    "table.util.title": {
        "en": "How the racks are used, by site",
        "zh": "各站点机架使用情况",
    },
    "table.util.note": {
        "en": "Compute in service counts racks in use, as MIIT counts them; the demand a "
        "site serves is its occupied share (上架率). Each site's rules require new racks at "
        "its minimum occupancy and existing racks at their observed occupancy; a site below "
        "that is flagged as holding idle capacity.",
        "zh": "在用算力按工信部口径统计在用机架；站点承接的需求即其已上架部分（上架率）。"
        "新建机架须达到各站点最低上架率，存量机架按实际上架率计；低于该要求的站点标为存在闲置算力。",
    },
    "table.util.in_service": {"en": "In service", "zh": "在用算力"},
    "table.util.served": {"en": "Served", "zh": "承接需求"},
    "table.util.idle": {"en": "Not used", "zh": "未使用"},
    "table.util.rule": {"en": "Occupancy the rules require", "zh": "上架率要求"},
    "table.util.flag": {"en": "Idle capacity", "zh": "闲置算力"},
    "table.util.idle_flag": {"en": "idle beyond the rules", "zh": "超出要求的闲置"},
    "table.cost.title": {
        "en": "Why these sites: annual cost by site, {year}",
        "zh": "为何选址于此：各站点年度成本（{year}年）",
    },
    "table.cost.new_racks": {"en": "New racks (plan)", "zh": "新建机架（规划期）"},
    "table.cost.investment": {"en": "Investment", "zh": "投资"},
    "table.cost.energy": {"en": "Energy", "zh": "能源"},
    "table.cost.om": {"en": "Operation and maintenance", "zh": "运维"},
    "table.cost.transfer": {"en": "Data transfer", "zh": "数据传输"},
    "table.cost.total": {"en": "Total", "zh": "合计"},
    "table.cost.per_eflops": {"en": "Per EFLOPS in service", "zh": "每EFLOPS在用算力"},
    # --- variables (long names for axes) -------------------------------------------
    "var.racks_new_std": {"en": "New racks", "zh": "新建机架"},
    "var.racks_total_std": {"en": "Racks in use", "zh": "在用机架"},
    "var.compute_eflops": {"en": "Computing power", "zh": "算力"},
    "var.target_total_eflops": {"en": "Computing power", "zh": "算力"},
    "var.energy_mix_mwh": {"en": "Energy", "zh": "电量"},
    "var.emissions_tco2": {"en": "Emissions", "zh": "碳排放"},
    "var.cost_cny": {"en": "Cost", "zh": "成本"},
    "var.green_share": {"en": "Green share", "zh": "绿电占比"},
    "var.facility_load_mw": {"en": "Power", "zh": "功率"},
    "var.served_eflops": {"en": "Compute served", "zh": "承接算力"},
    "var.objective_cny": {"en": "Total cost", "zh": "总成本"},
    # --- categories ------------------------------------------------------------------
    "class.general": {"en": "General", "zh": "通用算力"},
    "class.intelligent": {"en": "Intelligent (AI)", "zh": "智能算力"},
    "class.supercomputing": {"en": "Supercomputing", "zh": "超算算力"},
    "source.grid": {"en": "Grid", "zh": "电网"},
    "source.solar": {"en": "Solar", "zh": "光伏"},
    "source.wind": {"en": "Wind", "zh": "风电"},
    "source.hydro": {"en": "Hydro", "zh": "水电"},
    "source.battery_net": {"en": "Battery (net)", "zh": "储能（净）"},
    "source.battery": {"en": "Battery", "zh": "储能"},
    "source.certificates": {"en": "Green certificates", "zh": "绿证"},
    "service.realtime": {"en": "Real-time", "zh": "实时"},
    "service.interactive": {"en": "Interactive", "zh": "交互"},
    "service.batch": {"en": "Batch", "zh": "批处理"},
    "service.tier": {"en": "{service} (≤ {ms} ms)", "zh": "{service}（≤{ms}毫秒）"},
    "service.tier_none": {"en": "{service} (no limit)", "zh": "{service}（无时延要求）"},
    "hub.outside": {"en": "Outside the hubs", "zh": "枢纽外"},
    "ew.east": {"en": "east", "zh": "东部"},
    "ew.west": {"en": "west", "zh": "西部"},
    "ew.none": {"en": "other", "zh": "其他"},
    "component.capex_racks": {"en": "Rack investment", "zh": "机架投资"},
    "component.capex_energy": {"en": "Solar, wind and battery investment", "zh": "风光储投资"},
    "component.om": {"en": "Operation and maintenance", "zh": "运维"},
    "component.rack_capex": {"en": "Rack investment", "zh": "机架投资"},
    "component.rack_om": {"en": "Rack O&M", "zh": "机架运维"},
    "component.campus": {"en": "Campus phases", "zh": "园区建设"},
    "component.solar": {"en": "Solar", "zh": "光伏"},
    "component.wind": {"en": "Wind", "zh": "风电"},
    "component.battery": {"en": "Battery", "zh": "储能"},
    "component.hydro": {"en": "Hydro contracts", "zh": "水电合同"},
    "component.grid_energy": {"en": "Grid electricity", "zh": "电网购电"},
    "component.energy": {"en": "Electricity", "zh": "电费"},
    "component.transfer": {"en": "Data transfer", "zh": "数据传输"},
    "component.certificates": {"en": "Green certificates", "zh": "绿证"},
    "component.gec": {"en": "Green certificates", "zh": "绿证"},
    "component.carbon": {"en": "Carbon price", "zh": "碳价"},
    "component.penalty": {"en": "Shortfall penalty", "zh": "缺口惩罚"},
    "component.shortfall_penalty": {"en": "Shortfall penalty", "zh": "缺口惩罚"},
    # --- near-optimal alternatives (planner alternatives) -------------------------------
    "section.alternatives": {"en": "Near-optimal alternatives", "zh": "近优备选方案"},
    "alt.intro": {
        "en": "How much freedom the least cost leaves. With the total discounted cost held "
        "within {slack} of the least cost ({limit}) and every target met as the least-cost "
        "plan meets it, each aggregate below was minimised and maximised (integer build "
        "modules, each plan proven within the model's MIP gap by HiGHS){spores}. The rest "
        "of this report is the least-cost plan.",
        "zh": "最低成本之外还有多大的选择余地。在折现总成本不超过最低成本{slack}（{limit}）、"
        "各项目标的完成情况与最低成本方案相同的条件下，分别求下列指标的最小值和最大值"
        "（建设模块取整数，每个方案均由HiGHS证明在模型的MIP间隙以内）{spores}。本报告其余部分"
        "为最低成本方案。",
    },
    "alt.spores": {
        "en": ", and {n} SPORES plans were traced, each staying away from what the plans "
        "before it built",
        "zh": "，并依次求出{n}个SPORES方案，每个方案尽量避开此前方案已建设的内容",
    },
    "alt.ranges": {"en": "Ranges within the slack", "zh": "成本余量内的取值范围"},
    "alt.range_line": {
        "en": "{what}: {low} to {high} within {slack} of the least cost "
        "(least-cost plan: {least}).",
        "zh": "{what}：在最低成本{slack}以内为{low}至{high}（最低成本方案：{least}）。",
    },
    "alt.optimised": {"en": "minimised and maximised", "zh": "已求最小值和最大值"},
    "alt.observed": {
        "en": "spread across these plans (not optimised)",
        "zh": "上述方案间的差异（未专门优化）",
    },
    "alt.col.aggregate": {"en": "Aggregate", "zh": "指标"},
    "alt.col.least": {"en": "Least-cost plan", "zh": "最低成本方案"},
    "alt.col.low": {"en": "Lowest", "zh": "最低"},
    "alt.col.high": {"en": "Highest", "zh": "最高"},
    "alt.col.how": {"en": "How found", "zh": "求解方式"},
    "alt.col.plan": {"en": "Plan", "zh": "方案"},
    "alt.col.cost": {"en": "Cost above the least", "zh": "成本增幅"},
    "alt.col.gap": {"en": "Proven gap", "zh": "已证明间隙"},
    "alt.plans": {"en": "The plans", "zh": "各方案"},
    "alt.binding": {
        "en": "Which targets and limits bind in each plan",
        "zh": "各方案中起约束作用的目标与限制",
    },
    "alt.binding_note": {
        "en": "● binds (within 0.01 % of its bound). The cost limit binds where a plan "
        "spends the whole slack.",
        "zh": "●表示起约束作用（与限值相差不超过0.01%）。成本上限起作用表示该方案用满了成本余量。",
    },
    "alt.failed": {"en": "{plan}: not solved ({reason})", "zh": "{plan}：未求解（{reason}）"},
    "alt.least_cost": {"en": "least cost", "zh": "最低成本方案"},
    "alt.min": {"en": "{what}: lowest", "zh": "{what}最低"},
    "alt.max": {"en": "{what}: highest", "zh": "{what}最高"},
    "alt.spores_point": {"en": "SPORES {n}", "zh": "SPORES方案{n}"},
    "alt.target.total_eflops": {
        "en": "Total computing-power target, {year}",
        "zh": "{year}年算力总规模目标",
    },
    "alt.target.intelligent_share": {
        "en": "Intelligent share target, {year}",
        "zh": "{year}年智能算力占比目标",
    },
    "alt.target.green_share": {
        "en": "Green power share of new capacity, {hub}, {year}",
        "zh": "{year}年{hub}新增算力绿电占比",
    },
    "alt.target.carbon_cap": {"en": "Carbon cap, {year}", "zh": "{year}年碳排放上限"},
    "alt.limit": {"en": "{limit} at {site}, {year}", "zh": "{year}年{site}{limit}"},
    "alt.cost_slack": {"en": "Cost limit (least cost + slack)", "zh": "成本上限（最低成本+余量）"},
    "fig.alt_strip.title": {
        "en": "Each plan's place in the range of each aggregate",
        "zh": "各方案在各指标取值范围中的位置",
    },
    "axis.alt_position": {
        "en": "Position between the lowest and the highest plan",
        "zh": "在最低与最高方案之间的位置",
    },
    "agg.west_racks": {"en": "New racks in the western hubs", "zh": "西部枢纽新建机架"},
    "agg.east_racks": {"en": "New racks in the eastern hubs", "zh": "东部枢纽新建机架"},
    "agg.west_share": {
        "en": "Western hubs' share of new racks",
        "zh": "西部枢纽新建机架占比",
    },
    "agg.west_intelligent_racks": {
        "en": "New intelligent racks in the western hubs",
        "zh": "西部枢纽新建智能算力机架",
    },
    "agg.west_eflops": {
        "en": "New computing power in the western hubs",
        "zh": "西部枢纽新增算力",
    },
    "agg.east_eflops": {
        "en": "New computing power in the eastern hubs",
        "zh": "东部枢纽新增算力",
    },
    "agg.emissions": {"en": "Emissions over the plan years", "zh": "规划期碳排放"},
    "agg.solar_wind": {"en": "New solar and wind capacity", "zh": "新建风电和光伏装机"},
    "agg.grid_energy": {
        "en": "Grid electricity over the plan years",
        "zh": "规划期电网购电量",
    },
    "agg.racks": {"en": "New racks in {hub}", "zh": "{hub}新建机架"},
    "agg.eflops": {"en": "New computing power in {hub}", "zh": "{hub}新增算力"},
    "unit.TWh": {"en": "TWh", "zh": "太瓦时"},
    "unit.GW": {"en": "GW", "zh": "吉瓦"},
    # --- units -------------------------------------------------------------------------
    "unit.EFLOPS": {"en": "EFLOPS", "zh": "EFLOPS"},
    "unit.std_rack": {"en": "standard racks", "zh": "标准机架"},
    "unit.MW": {"en": "MW", "zh": "兆瓦"},
    "unit.MWh": {"en": "MWh", "zh": "兆瓦时"},
    "unit.MWh/year": {"en": "MWh per year", "zh": "兆瓦时/年"},
    "unit.TWh/year": {"en": "TWh per year", "zh": "太瓦时/年"},
    "unit.tCO2": {"en": "t CO₂", "zh": "吨二氧化碳"},
    "unit.tCO2/year": {"en": "t CO₂ per year", "zh": "吨二氧化碳/年"},
    "unit.MtCO2": {"en": "million t CO₂", "zh": "百万吨二氧化碳"},
    "unit.MtCO2/year": {"en": "million t CO₂ per year", "zh": "百万吨二氧化碳/年"},
    "unit.CNY": {"en": "yuan", "zh": "元"},
    "unit.CNY/year": {"en": "yuan per year", "zh": "元/年"},
    "unit.bnCNY": {"en": "billion yuan", "zh": "亿元"},
    "unit.bnCNY/year": {"en": "billion yuan per year", "zh": "亿元/年"},
    "unit.ms": {"en": "ms", "zh": "毫秒"},
    "unit.km": {"en": "km", "zh": "公里"},
    "unit.%": {"en": "%", "zh": "%"},
    "unit.degree_east": {"en": "°E", "zh": "°E"},
    "unit.degree_north": {"en": "°N", "zh": "°N"},
    "unit.CNY/EFLOPS": {"en": "yuan per EFLOPS", "zh": "元/EFLOPS"},
    "unit.CNY/point": {"en": "yuan per percentage point", "zh": "元/百分点"},
    "unit.CNY/tCO2": {"en": "yuan per t CO₂", "zh": "元/吨二氧化碳"},
    "unit.CNY/MWh": {"en": "yuan per MWh", "zh": "元/兆瓦时"},
    "unit.EFLOPS of intelligent compute": {
        "en": "EFLOPS of intelligent compute",
        "zh": "EFLOPS智能算力",
    },
    "unit.EFLOPS of demand": {"en": "EFLOPS of demand", "zh": "EFLOPS需求"},
    "unit.MWh of green supply": {"en": "MWh of green supply", "zh": "兆瓦时绿电"},
    "unit.MWh of hourly-matched clean supply": {
        "en": "MWh of hourly-matched clean supply",
        "zh": "兆瓦时逐时匹配清洁电力",
    },
    "unit.tCO2 above the cap": {"en": "t CO₂ above the cap", "zh": "吨二氧化碳（超出上限）"},
    "unit.MW/std_rack": {"en": "MW per standard rack", "zh": "兆瓦/标准机架"},
}

# Short display names for bar-chart rows and map labels, by kind and id; other names
# lose their " cluster" / "集群" ending (see short_name).
SHORT_NAMES: dict[str, dict[str, str]] = {
    "site.yrd_demo": {"en": "YRD Demo Zone", "zh": "长三角示范区"},
    "site.outside": {"en": "Outside the clusters", "zh": "集群以外"},
    "hub.gba": {"en": "Greater Bay Area", "zh": "粤港澳大湾区"},
    "hub.jjj": {"en": "Beijing-Tianjin-Hebei", "zh": "京津冀"},
    "hub.outside": {"en": "Outside the hubs", "zh": "枢纽以外"},
}


def short_name(kind: str, ident: str, full: str, lang: str) -> str:
    """A short display name: ``Zhangjiakou`` for "Zhangjiakou cluster", 张家口 for 张家口集群."""
    entry = SHORT_NAMES.get(f"{kind}.{ident}")
    if entry:
        return entry[lang]
    return str(full).removesuffix(" cluster").removesuffix("集群") or str(full)


# The marginal costs a reader looks for first, in this order; the rest follow.
MARGINAL_ORDER = (
    "total_compute_cny_per_eflops",
    "intelligent_share_cny_per_point",
    "green_share_cny_per_point",
    "carbon_cap_cny_per_tco2",
)


def marginal_unit(name: str) -> str:
    """Unit of a marginal cost from its name (``..._cny_per_eflops`` -> CNY/EFLOPS)."""
    for suffix, unit_id in (
        ("_cny_per_eflops", "CNY/EFLOPS"),
        ("_cny_per_point", "CNY/point"),
        ("_cny_per_mwh", "CNY/MWh"),
        ("_cny_per_tco2", "CNY/tCO2"),
    ):
        if name.endswith(suffix):
            return unit_id
    return "CNY"


# Money shown in units of this many yuan: billion in English, 亿 (1e8) in Chinese.
MONEY_SCALE = {"en": 1e9, "zh": 1e8}

# How a quantity is shown to a reader: for each base unit and language, the steps
# (threshold, divisor, unit label), largest first; a value takes the first step its size
# reaches. Chinese officials count in 万 and 亿 (万吨, 亿元, 万千瓦, 亿千瓦时, 万架).
_STEPS: dict[str, dict[str, tuple[tuple[float, float, str], ...]]] = {
    "CNY": {
        "en": ((1e9, 1e9, "billion yuan"), (1e6, 1e6, "million yuan"), (0, 1, "yuan")),
        "zh": ((1e8, 1e8, "亿元"), (1e4, 1e4, "万元"), (0, 1, "元")),
    },
    "tCO2": {
        "en": ((1e6, 1e6, "million t CO₂"), (1e3, 1e3, "thousand t CO₂"), (0, 1, "t CO₂")),
        "zh": ((1e8, 1e8, "亿吨二氧化碳"), (1e4, 1e4, "万吨二氧化碳"), (0, 1, "吨二氧化碳")),
    },
    "std_rack": {
        "en": (
            (1e6, 1e6, "million standard racks"),
            (1e4, 1e3, "thousand standard racks"),
            (0, 1, "standard racks"),
        ),
        "zh": ((1e4, 1e4, "万架"), (0, 1, "架")),
    },
    "MW": {
        "en": ((1e4, 1e3, "GW"), (0, 1, "MW")),
        "zh": ((10, 10, "万千瓦"), (0, 1e-3, "千瓦")),
    },
    "MWh": {
        "en": ((1e6, 1e6, "TWh"), (1e3, 1e3, "GWh"), (0, 1, "MWh")),
        "zh": ((1e5, 1e5, "亿千瓦时"), (10, 10, "万千瓦时"), (0, 1e-3, "千瓦时")),
    },
}
_PER_YEAR = {"en": " per year", "zh": "/年"}


def scale_for(units: str | None, size: float, lang: str) -> tuple[float, str]:
    """The divisor and unit label to show a quantity in ``units`` whose size is ``size``.

    ``units`` is a results unit (``CNY/year``, ``tCO2/year``, ``std_rack``, ``MW``,
    ``MWh/year``...): money in billion yuan or 亿元, CO₂ in million tonnes or 万吨/亿吨,
    racks in thousands or 万架, power in GW or 万千瓦, energy in TWh or 亿千瓦时. A unit
    with no steps is shown as it is (divisor 1).
    """
    units = "" if units is None else str(units)
    base, per_year = (units[:-5], True) if units.endswith("/year") else (units, False)
    steps = _STEPS.get(base, {}).get(lang)
    if not steps:
        return 1.0, unit(units, lang)
    size = abs(float(size)) if size is not None and math.isfinite(float(size)) else 0.0
    for threshold, divisor, label in steps:
        if size >= threshold:
            return divisor, label + (_PER_YEAR[lang] if per_year else "")
    threshold, divisor, label = steps[-1]
    return divisor, label + (_PER_YEAR[lang] if per_year else "")


def amount(value: Any, units: str | None, lang: str, digits: int = 3) -> str:
    """``value`` in ``units`` for a reader: scaled to its size (亿元, 万吨...), with its unit."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "–" if value is None else str(value)
    if not math.isfinite(x):
        return "–"
    divisor, label = scale_for(units, x, lang)
    shown = number(x / divisor, digits, lang)
    sep = "" if lang == "zh" and label and not label[0].isascii() else " "
    return f"{shown}{sep}{label}" if label else shown


# Marginal costs: money per unit of a target, scaled as money is.
_PER_UNIT = {
    "CNY/EFLOPS": {"en": "per EFLOPS", "zh": "/EFLOPS"},
    "CNY/point": {"en": "per percentage point", "zh": "/百分点"},
    "CNY/tCO2": {"en": "per t CO₂", "zh": "/吨二氧化碳"},
    "CNY/MWh": {"en": "per MWh", "zh": "/兆瓦时"},
}


def money_per(value: Any, unit_id: str, lang: str, digits: int = 3) -> str:
    """A marginal cost in readable units: '1.87 bn yuan per EFLOPS', '18.7亿元/EFLOPS'."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "–" if value is None else str(value)
    if not math.isfinite(x):
        return "–"
    divisor, label = scale_for("CNY", x, lang)
    if lang == "en":
        label = label.replace("billion", "bn")
    per = _PER_UNIT.get(unit_id, {}).get(lang)
    if per is None:
        return amount(x, "CNY", lang, digits)
    shown = number(x / divisor, digits, lang)
    return f"{shown}{label}{per}" if lang == "zh" else f"{shown} {label} {per}"


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    return lang


def t(key: str, lang: str, default: str | None = None, **fields: Any) -> str:
    """The text of message ``key`` in ``lang``, with ``fields`` filled in.

    An unknown key gives ``default`` (or the key itself) so that a new component or
    constraint name coming from the model still shows, untranslated, instead of failing.
    """
    entry = STRINGS.get(key)
    text = entry[lang] if entry else (default if default is not None else key)
    return text.format(**fields) if fields else text


def has(key: str) -> bool:
    return key in STRINGS


def category(kind: str, value: Any, lang: str) -> str:
    """A category name (``class``, ``source``, ``service``, ``component``...) in ``lang``."""
    value = str(value)
    return t(f"{kind}.{value}", lang, default=value.replace("_", " "))


def unit(units: str | None, lang: str) -> str:
    """A unit string from ``attrs["units"]`` in the reader's language ('' for none)."""
    if units in (None, "", "1", "-"):
        return ""
    return t(f"unit.{units}", lang, default=str(units))


def axis_title(name: str, attrs: dict[str, Any], lang: str, units: str | None = None) -> str:
    """``Long name (unit)`` for variable ``name``, from the strings table or its attrs."""
    label = t(f"var.{name}", lang, default=str(attrs.get("long_name") or name))
    if label and lang == "en":
        label = label[0].upper() + label[1:]
    return with_unit(label, unit(units if units is not None else attrs.get("units"), lang), lang)


def with_unit(label: str, unit_text: str, lang: str) -> str:
    """``label (unit)``; full-width brackets in Chinese."""
    if not unit_text:
        return label
    return f"{label}（{unit_text}）" if lang == "zh" else f"{label} ({unit_text})"


def colon(lang: str) -> str:
    return "：" if lang == "zh" else ": "


def number(value: Any, digits: int = 3, lang: str = "en") -> str:
    """A number for readers: thousands separators and about ``digits`` significant digits."""
    if value is None:
        return "–"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - magnitude)
    out = f"{x:,.{decimals}f}"
    # 5 rather than 5.00: trailing zeros after the point say nothing to a reader.
    return out.rstrip("0").rstrip(".") if "." in out else out


def percent(frac: Any, lang: str = "en", digits: int = 1) -> str:
    """A fraction (0.35) as a percentage (35.0 %; Chinese 35.0%)."""
    if frac is None:
        return "–"
    try:
        x = float(frac)
    except (TypeError, ValueError):
        return str(frac)
    if math.isnan(x):
        return "–"
    sep = "" if lang == "zh" else " "
    return f"{100 * x:,.{digits}f}{sep}%"


def quantity(value: Any, units: str | None, lang: str, digits: int = 3) -> str:
    """``value`` with its unit in ``lang``; money, CO₂, racks, power and energy are scaled
    to the reader's units (billion yuan / 亿元, million t / 万吨, 万架, 万千瓦...)."""
    if units == "1":
        return percent(value, lang)
    base = (units or "").removesuffix("/year")
    if base in _STEPS and value is not None:
        return amount(value, units, lang, digits if base != "CNY" else digits + 1)
    u = unit(units, lang)
    text = number(value, digits, lang)
    return f"{text} {u}" if u else text


def aggregate_label(key: str, lang: str, hub_names: Mapping[str, str] | None = None) -> str:
    """The name of an aggregate of :mod:`planner.aggregates` (``racks.<hub>`` with the
    hub's name) in ``lang``."""
    measure, dot, hub = key.partition(".")
    if dot:
        return t(f"agg.{measure}", lang, default=key, hub=(hub_names or {}).get(hub, hub))
    return t(f"agg.{key}", lang, default=key.replace("_", " "))


def aggregate_quantity(value: Any, units: str, lang: str, size: float | None = None) -> str:
    """An aggregate's value for readers: a share in percent, the rest in the reader's
    units as every table shows them (:func:`quantity`: million t / 万吨 / 亿吨 of CO₂,
    TWh / 亿千瓦时, GW / 万千瓦, 万架). ``size``: the scale is chosen for it instead of
    for ``value``, so the values of one row or column share one unit (the largest)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(x):
        return "–"
    base = units.removesuffix("/year")
    if size is None or units == "1" or base not in _STEPS:
        return quantity(x, units, lang, digits=4)
    divisor, label = scale_for(units, size, lang)
    sep = "" if lang == "zh" and label and not label[0].isascii() else " "
    return f"{number(x / divisor, 4, lang)}{sep}{label}"


def alternative_label(
    kind: str, key: str, point: int, lang: str, hub_names: Mapping[str, str] | None = None
) -> str:
    """A plan of an alternatives folder in words: the least-cost plan, the lowest or
    highest of an aggregate, or a SPORES point."""
    if kind in ("min", "max"):
        return t(f"alt.{kind}", lang, what=aggregate_label(key, lang, hub_names))
    if kind == "spores":
        return t("alt.spores_point", lang, n=point)
    return t("alt.least_cost", lang)


def money_axis(units: str, lang: str) -> tuple[float, str]:
    """The scale and unit label to plot money in (billion yuan / 亿元)."""
    return MONEY_SCALE[lang], unit("bn" + units, lang)


# --- names and messages in the reader's language ------------------------------------------

# Issuers of the sources, by the abbreviation data/sources.csv uses.
ISSUERS_ZH = {
    "MIIT": "工业和信息化部",
    "CAC": "国家互联网信息办公室",
    "MoE": "教育部",
    "NHC": "国家卫生健康委员会",
    "PBoC": "中国人民银行",
    "SASAC": "国务院国有资产监督管理委员会",
    "NDRC": "国家发展和改革委员会",
    "NDA": "国家数据局",
    "NEA": "国家能源局",
    "MEE": "生态环境部",
    "NBS": "国家统计局",
    "MOHURD": "住房和城乡建设部",
    "CAICT": "中国信息通信研究院",
    "SCIO": "国务院新闻办公室",
    "National Data Administration": "国家数据局",
    "China Meteorological Administration": "中国气象局",
    "China Electricity Council": "中国电力企业联合会",
    "Xinhua": "新华社",
    "China Daily": "中国日报",
    "People's Daily": "人民日报",
    "planner maintainers": "planner 维护者",
}

_WORD = r"(?<![A-Za-z'])({})(?![A-Za-z'])"


def issuer(value: str, lang: str) -> str:
    """A source's issuer in ``lang``: in Chinese, the agencies' Chinese names."""
    import re

    if lang != "zh" or not value:
        return value
    names = sorted(ISSUERS_ZH, key=len, reverse=True)
    pattern = re.compile(_WORD.format("|".join(re.escape(n) for n in names)))
    out = pattern.sub(lambda m: ISSUERS_ZH[m.group(1)], value)
    return out.replace("; ", "、").replace(" via ", "，经").replace(" and ", "和")


def document(value: str, lang: str) -> str:
    """A source's title in ``lang``: a Chinese title with an English gloss in brackets
    ("算力基础设施高质量发展行动计划 (Action Plan ...)") keeps only the Chinese in Chinese."""
    import re

    if lang != "zh" or not value:
        return value
    match = re.fullmatch(r"(.*[\u4e00-\u9fff].*?)\s*\(([^()]*)\)\s*", value)
    if match and re.match(r"[^A-Za-z]*[\u4e00-\u9fff]", match.group(1)):
        return match.group(1).strip()
    return value


SOLVER_MESSAGES_ZH = {
    "Optimal": "已求得最优解",
    "Optimal (gap closed at the root: LP relaxation bound and rounded incumbent)": (
        "已求得最优解（在根节点闭合间隙：线性松弛下界与取整后的可行解）"
    ),
    "Time limit reached at the root: the rounded incumbent and the LP bound": (
        "在根节点达到时间上限：取整后的可行解与线性松弛下界"
    ),
    # The root's plan from a dive (planner.solve.strategy), since the re-solve reuse.
    "Optimal (gap closed at the root: the LP relaxation bound and a plan from it)": (
        "已求得最优解（在根节点闭合间隙：线性松弛下界与由其得出的方案）"
    ),
    "Time limit reached at the root: the plan found there and the LP bound": (
        "在根节点达到时间上限：在根节点得到的方案与线性松弛下界"
    ),
    "Time limit reached": "达到时间上限",
    "Infeasible": "不可行",
    "Model is infeasible": "模型不可行",
    "Primal infeasible or unbounded": "原问题不可行或无界",
}


# The full year's message (planner.solve.decompose), with its counts and gap.
_BENDERS = (
    r"Benders decomposition: (\d+) blocks, (\d+) cuts, gap (\S+) between the plan and "
    r"the master's bound"
)
_BENDERS_ZH = r"Benders分解：\1个子问题、\2条割平面，方案与主问题下界之间的间隙为\3"


def solver_message(message: str, lang: str) -> str:
    """HiGHS's own words, in Chinese when the message is a known one."""
    import re

    if lang != "zh" or not message:
        return message
    message = str(message).strip()
    if re.fullmatch(_BENDERS, message):
        return re.sub(_BENDERS, _BENDERS_ZH, message)
    return SOLVER_MESSAGES_ZH.get(message, message)


def time_slices(line: str, lang: str) -> str:
    """The run's time-slice line ("8 representative days (tsam 4.1.1, hierarchical,
    medoid, means preserved); weighted RMSE 0.2092", or "full year") in ``lang``."""
    import re

    if lang != "zh" or not line:
        return line
    if line.strip() == "full year":
        return "全年8760小时"
    match = re.match(
        r"(\d+) representative days \((tsam [^,)]+)((?:, [^,)]+)*)\)(?:; weighted RMSE ([\d.]+))?",
        line,
    )
    if not match:
        return line
    words = {
        "hierarchical": "层次聚类",
        "medoid": "中心点代表日",
        "means preserved": "保持均值",
        "k_means": "k均值聚类",
        "k_medoids": "k中心点聚类",
    }
    extra = [w.strip() for w in (match.group(3) or "").split(",") if w.strip()]
    detail = "，".join([match.group(2), *(words.get(w, w) for w in extra)])
    out = f"{match.group(1)}个典型日（{detail}）"
    if match.group(4):
        out += f"；加权均方根误差 {match.group(4)}"
    return out
