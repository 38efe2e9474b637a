"""Words and tables for an agreement report: the method paragraph, report tables, JSON.

Why apart from the computation: a paper needs the method stated exactly (unit, coders,
documents, coefficients with formulas, how missing data were handled) in the project's
language, and the same figures as tables for text/Markdown/CSV/Excel/Word. Keeping the
wording here keeps :mod:`qcoder.analysis.agreement` about numbers.
"""

from __future__ import annotations

import statistics
from typing import Any

from qcoder.analysis.agreement_coefficients import is_rare
from qcoder.analysis.agreement_records import AgreementReport, CodeAgreement, ConfusionView, Pair, VariableAgreement
from qcoder.analysis.agreement_stats import (
    ALL_MISSING,
    ALWAYS_USED,
    HOLSTI_UNUSED,
    NEVER_USED,
    NO_CODES,
    NO_PAIRS,
    NO_UNITS,
    NONE_LABEL,
    NOT_BOTH,
    ONE_CODER,
    ONE_VALUE,
    BootstrapCI,
    Stat,
)
from qcoder.analysis.table import Cell, Table
from qcoder.analysis.writers import number_text
from qcoder.errors import QcoderError

MAX_PAIR_COLUMNS = 3  # more coder pairs than this: the per-code table shows pair means

_LABELS: dict[str, tuple[str, str]] = {
    "per_code": ("编码者间一致性（逐编码）", "Inter-coder agreement per code"),
    "code": ("编码", "code"),
    "level": ("层级", "level"),
    "used": ("使用·{}", "used by {}"),
    "used_any": ("任一编码者使用", "used by any"),
    "units": ("可配对语句", "pairable statements"),
    "percent": ("百分比一致性", "percent agreement"),
    "kappa": ("Cohen κ {}", "Cohen's κ {}"),
    "mean_kappa": ("平均 Cohen κ", "mean Cohen's κ"),
    "fleiss": ("Fleiss κ", "Fleiss' κ"),
    "alpha": ("Krippendorff α", "Krippendorff's α"),
    "ci": ("α {p}% 置信区间", "α {p}% CI"),
    "holsti": ("Holsti CR {}", "Holsti CR {}"),
    "mean_holsti": ("平均 Holsti CR", "mean Holsti CR"),
    "note": ("说明", "note"),
    "pairwise": ("编码者两两一致性", "Pairwise agreement"),
    "pair": ("编码者对", "coders"),
    "both": ("两人均已编码语句", "statements both reviewed"),
    "overall": ("总体一致性", "Overall agreement"),
    "measure": ("指标", "measure"),
    "value": ("数值", "value"),
    "n": ("单元数", "units"),
    "pooled": ("汇总 Krippendorff α（编码 × 语句）", "pooled Krippendorff's α (code × statement)"),
    "masi": ("Krippendorff α（编码集合，MASI 距离）", "Krippendorff's α (code sets, MASI distance)"),
    "statements": ("语句数", "statements"),
    "documents": ("文档数", "documents"),
    "coders": ("编码者", "coders"),
    "confusion": ("编码对照：{a}（行）× {b}（列）", "Confusion: {a} (rows) × {b} (columns)"),
    "method": ("信度检验方法", "Method"),
    "none": ("（无）", "(none)"),
    "percent_all": ("百分比一致性（全部一致）", "percent agreement (all agree)"),
    "percent_pairs": ("百分比一致性（两两平均）", "percent agreement (mean pairwise)"),
    "chance": ("机遇校正一致性（逐编码）", "Chance-corrected agreement per code"),
    "prevalence": ("使用率", "prevalence"),
    "pi": ("Scott π {}", "Scott's π {}"),
    "mean_pi": ("平均 Scott π", "mean Scott's π"),
    "bp": ("Brennan–Prediger S", "Brennan–Prediger S"),
    "ac1": ("Gwet AC1", "Gwet's AC1"),
    "fleiss_lw": ("Fleiss κ（列表删除）", "Fleiss' κ (listwise)"),
    "fleiss_n": ("列表删除所用语句", "statements used (listwise)"),
    "variables": ("类别变量与量表的一致性", "Agreement on categorical variables and scales"),
    "variable": ("变量", "variable"),
    "measurement": ("测量尺度", "level of measurement"),
    "values": ("取值", "values"),
    "rated": ("可配对语句", "pairable statements"),
    "kappa_cat": ("Cohen κ（类别）", "Cohen's κ (categories)"),
    "wk_linear": ("加权 κ（线性）", "weighted κ (linear)"),
    "wk_quadratic": ("加权 κ（二次）", "weighted κ (quadratic)"),
    "alpha_nominal": ("α（名义）", "α (nominal)"),
    "alpha_level": ("α（按测量尺度）", "α (at its level)"),
    "pooled_children": ("逐编码汇总 α", "pooled α over its codes"),
    "distribution": ("取值分布", "Value distributions"),
    "value_number": ("数值", "number"),
}

_MEASURE_ZH = {"nominal": "名义", "ordinal": "顺序", "interval": "等距", "ratio": "等比"}

_REASONS_ZH: dict[str, str] = {
    NEVER_USED: "无变异：没有编码者在任何语句上使用该编码",
    ALWAYS_USED: "无变异：所有编码者在每条语句上都使用了该编码",
    ONE_VALUE: "无变异：所有取值相同",
    NOT_BOTH: "没有两人均已编码的语句",
    HOLSTI_UNUSED: "两名编码者在共同语句上都未使用该编码",
    NO_PAIRS: "没有语句有两名及以上编码者取值",
    ALL_MISSING: "全部为缺失值",
    NO_UNITS: "没有语句",
    ONE_CODER: "编码者少于两人",
    NO_CODES: "无变异：没有编码者使用任何编码",
    "no codes chosen": "没有所选编码",
    "no statement has two coders": "没有语句有两名编码者取值",
    "alpha undefined in every bootstrap replicate": "所有bootstrap重抽样中α均无定义",
}


def label(key: str, language: str, **fields: Any) -> str:
    zh, en = _LABELS[key]
    text = zh if language == "zh" else en
    return text.format(*fields.get("args", ()), **{k: v for k, v in fields.items() if k != "args"})


def reason_text(reason: str | None, language: str) -> str:
    """A Stat's reason in the report's language (statistics modules speak English)."""
    if not reason:
        return ""
    if language != "zh":
        return reason
    if reason.startswith("Fleiss' kappa needs every coder"):
        return "Fleiss' κ 要求每位编码者对每条语句都有取值（存在缺失时请看 Krippendorff α）"
    return _REASONS_ZH.get(reason, reason)


def _mean(stats: list[Stat]) -> float | None:
    values = [s.value for s in stats if s.value is not None]
    return statistics.fmean(values) if values else None


def _per_pair(stats: list[Stat], show_pairs: bool) -> list[Cell]:
    """One cell per coder pair, or their mean when there are too many pairs for columns."""
    return [s.value for s in stats] if show_pairs else [_mean(stats)]


def _fmt(value: float | None) -> str:
    return "—" if value is None else number_text(value)


def _ci_text(ci: BootstrapCI[Any] | None, language: str) -> str | None:
    if ci is None:
        return None
    if ci.low is None or ci.high is None:
        return reason_text(ci.reason, language) or None
    return f"[{number_text(ci.low)}, {number_text(ci.high)}]"


def resamples_text(ci: BootstrapCI[Any], language: str) -> str:
    """How many bootstrap resamples entered the interval and how many were dropped as undefined."""
    dropped = ci.n_boot - ci.n_valid
    if language == "zh":
        return f"{ci.n_boot}次重抽样中{ci.n_valid}次有效，{dropped}次因α无定义被舍弃"
    return f"{ci.n_valid} of {ci.n_boot} resamples used, {dropped} dropped as undefined"


# --------------------------------------------------------------------------- tables


def per_code_table(report: AgreementReport) -> Table:
    lang, coders, pairs = report.language, report.coders, report.pairs
    show_pairs = len(pairs) <= MAX_PAIR_COLUMNS
    pair_names = [report.pair_label(p) for p in pairs]
    columns = [label("code", lang), label("level", lang)]
    columns += [label("used", lang, args=(name,)) for name in coders]
    percent = label("percent", lang) if len(coders) < 3 else label("percent_all", lang)
    columns += [label("used_any", lang), label("units", lang), percent]
    columns += [label("kappa", lang, args=(p,)) for p in pair_names] if show_pairs else [label("mean_kappa", lang)]
    columns += [label("fleiss", lang), label("alpha", lang)]
    if report.request.bootstrap:
        columns.append(label("ci", lang, p=round(report.request.confidence * 100)))
    columns += [label("holsti", lang, args=(p,)) for p in pair_names] if show_pairs else [label("mean_holsti", lang)]
    columns.append(label("note", lang))
    ladder = report.level_names
    rows: list[list[Cell]] = []
    for row in report.rows:
        cells: list[Cell] = [row.code.label, ladder.get(row.code.level, str(row.code.level)), *row.used]
        cells += [row.used_any, row.alpha.n_units, row.percent.value]
        cells += _per_pair([row.kappa[p] for p in pairs], show_pairs)
        cells += [row.fleiss.value, row.alpha.value]
        if report.request.bootstrap:
            cells.append(_ci_text(row.alpha_ci, lang))
        cells += _per_pair([row.holsti[p] for p in pairs], show_pairs)
        cells.append("; ".join(reason_text(r, lang) for r in row.reasons()) or None)
        rows.append(cells)
    notes = list(report.notes)
    cis = [r.alpha_ci for r in report.rows if r.alpha_ci is not None]
    if cis:
        used = sum(ci.n_valid for ci in cis)
        total = sum(ci.n_boot for ci in cis)
        notes.append(
            f"Bootstrap：{len(cis)}个编码共{total}次重抽样，{used}次有效，{total - used}次因α无定义被舍弃。"
            if lang == "zh"
            else f"Bootstrap: {total} resamples over {len(cis)} codes, {used} used, {total - used} dropped as "
            "undefined."
        )
    if not show_pairs:
        notes.append(
            "κ 与 Holsti CR 为各编码者对的平均值，逐对结果见“编码者两两一致性”表。"
            if lang == "zh"
            else "κ and Holsti CR are means over coder pairs; see the pairwise table for each pair."
        )
    return Table(label("per_code", lang), columns, rows, notes, name="agreement_codes")


def pairwise_table(report: AgreementReport) -> Table:
    lang = report.language
    columns = [
        label("code", lang),
        label("pair", lang),
        label("both", lang),
        "κ",
        "Holsti CR",
        "M",
        "N1",
        "N2",
        label("note", lang),
    ]
    rows: list[list[Cell]] = []
    for row in report.rows:
        for pair in report.pairs:
            kappa, holsti = row.kappa[pair], row.holsti[pair]
            reasons = list(dict.fromkeys(r for r in (kappa.reason, holsti.reason) if r))
            rows.append(
                [
                    row.code.label,
                    report.pair_label(pair),
                    kappa.n_units,
                    kappa.value,
                    holsti.value,
                    int(holsti.part("M")),
                    int(holsti.part("N1")),
                    int(holsti.part("N2")),
                    "; ".join(reason_text(r, lang) for r in reasons) or None,
                ]
            )
    return Table(label("pairwise", lang), columns, rows, name="agreement_pairs")


def overall_table(report: AgreementReport, *, with_method: bool = True) -> Table:
    lang, overall = report.language, report.overall
    columns = [label("measure", lang), label("value", lang), label("n", lang), label("note", lang)]
    pooled_note = _ci_text(overall.pooled_ci, lang)
    if pooled_note and overall.pooled_ci is not None and overall.pooled_ci.low is not None:
        ci = overall.pooled_ci
        pooled_note = f"{round(ci.level * 100)}% CI {pooled_note} ({resamples_text(ci, lang)})"
    rows: list[list[Cell]] = [
        [
            label("pooled", lang),
            overall.pooled_alpha.value,
            overall.pooled_alpha.n_units,
            reason_text(overall.pooled_alpha.reason, lang) or pooled_note,
        ],
        [
            label("masi", lang),
            overall.masi_alpha.value,
            overall.masi_alpha.n_units,
            reason_text(overall.masi_alpha.reason, lang) or None,
        ],
        [label("statements", lang), report.data.n_units, None, None],
        [
            label("documents", lang),
            len(report.data.documents),
            None,
            ", ".join(d.label for d in report.data.documents) or None,
        ],
        [label("coders", lang), len(report.coders), None, ", ".join(report.coders)],
    ]
    notes = [method_heading(report) + report.method] if with_method else []
    return Table(label("overall", lang), columns, rows, notes, name="agreement_overall")


def confusion_table(view: ConfusionView, language: str) -> Table:
    conf = view.confusion
    none = label("none", language)
    names = [none if lab == NONE_LABEL else str(lab) for lab in conf.labels]
    rows: list[list[Cell]] = [[name, *(int(v) for v in conf.counts[i])] for i, name in enumerate(names)]
    note = (
        f"{conf.n_units} 条两人均已编码的语句；同一语句上两人都用的编码计入对角线，仅一方使用的编码与另一方仅有的编码配对。"
        if language == "zh"
        else f"{conf.n_units} statements both reviewed; codes both used count on the diagonal, codes only one "
        "coder used are paired with the codes only the other used."
    )
    title = label("confusion", language, a=view.coder_a, b=view.coder_b)
    return Table(title, [f"{view.coder_a} \\ {view.coder_b}", *names], rows, [note], name="agreement_confusion")


def chance_table(report: AgreementReport) -> Table:
    """Per code: prevalence, both percent agreements, π, S, AC1 and listwise Fleiss' κ (the kappa paradox)."""
    lang, pairs = report.language, report.pairs
    show_pairs = len(pairs) <= MAX_PAIR_COLUMNS
    many = len(report.coders) >= 3
    columns = [label("code", lang), label("prevalence", lang)]
    columns += [label("percent_all", lang), label("percent_pairs", lang)] if many else [label("percent", lang)]
    columns += (
        [label("pi", lang, args=(report.pair_label(p),)) for p in pairs] if show_pairs else [label("mean_pi", lang)]
    )
    columns += [label("bp", lang), label("ac1", lang), label("fleiss_lw", lang), label("fleiss_n", lang)]
    columns.append(label("note", lang))
    rows: list[list[Cell]] = []
    for row in report.rows:
        cells: list[Cell] = [row.code.label, row.prevalence, row.percent.value]
        if many:
            cells.append(row.percent_pairwise.value if row.percent_pairwise else None)
        cells += _per_pair([row.pi[p] for p in pairs if p in row.pi], show_pairs)
        listwise = row.fleiss_listwise
        cells += [
            row.bp.value if row.bp else None,
            row.ac1.value if row.ac1 else None,
            listwise.value if listwise else None,
            int(listwise.part("used")) if listwise and listwise.parts else None,
        ]
        note = []
        if is_rare(row.prevalence):
            note.append("罕见编码（<5% 或 >95%）" if lang == "zh" else "rare code (<5% or >95%)")
        if listwise is not None and listwise.reason:
            note.append(reason_text(listwise.reason, lang))
        cells.append("; ".join(note) or None)
        rows.append(cells)
    notes = [
        "使用率 = 可配对判断中取值为1的比例；百分比一致性（全部一致）= 全部有取值的编码者一致的语句比例，"
        "（两两平均）= 一致的编码者对所占比例；Gwet AC1 与 Brennan–Prediger S 采用 Gwet (2014) 的缺失值形式，q = 2。"
        if lang == "zh"
        else "Prevalence = share of 1 among the pairable decisions; percent agreement (all agree) = share of "
        "statements on which every coder with a value agrees, (mean pairwise) = share of agreeing coder pairs; Gwet's "
        "AC1 and Brennan–Prediger's S take Gwet's (2014) missing-data form, q = 2."
    ]
    return Table(label("chance", lang), columns, rows, notes, name="agreement_chance")


def _mean_value(stats: dict[Pair, Stat]) -> float | None:
    return _mean(list(stats.values())) if stats else None


def variables_table(report: AgreementReport) -> Table:
    """One row per exclusive set or scale: κ on its categories, weighted κ, Fleiss, α at its level, AC1."""
    lang = report.language
    columns = [
        label("variable", lang),
        label("measurement", lang),
        label("values", lang),
        label("rated", lang),
        label("kappa_cat", lang),
        label("wk_linear", lang),
        label("wk_quadratic", lang),
        label("fleiss_lw", lang),
        label("alpha_nominal", lang),
        label("alpha_level", lang),
        label("ac1", lang),
        label("pooled_children", lang),
        label("note", lang),
    ]
    rows: list[list[Cell]] = []
    notes: list[str] = []
    for v in report.variables:
        level = _MEASURE_ZH[v.level] if lang == "zh" else v.level
        kind = level if v.scale else ("互斥编码组（名义）" if lang == "zh" else "exclusive codes (nominal)")
        note = []
        if v.conflicts:
            note.append(
                f"{v.conflicts}处同一编码者给出两个取值，按缺失处理"
                if lang == "zh"
                else f"{v.conflicts} times a coder gave two values: treated as missing"
            )
        reasons = [reason_text(s.reason, lang) for s in (v.alpha_level,) if s.reason]
        note += reasons
        rows.append(
            [
                v.name,
                kind,
                " / ".join(v.values),
                v.alpha_nominal.n_units,
                _mean_value(v.kappa),
                _mean_value(v.weighted_linear),
                _mean_value(v.weighted_quadratic),
                v.fleiss_listwise.value,
                v.alpha_nominal.value,
                v.alpha_level.value,
                v.ac1.value,
                v.pooled_children.value,
                "; ".join(note) or None,
            ]
        )
        pooled, categorical = v.pooled_children.value, v.alpha_nominal.value
        if pooled is not None and (categorical is None or abs(pooled - categorical) >= 0.05):
            notes.append(
                f"“{v.name}”是互斥类别：逐编码汇总 α = {_fmt(pooled)} 把两人都未用某编码的大量语句算作一致，"
                f"不能代表类别一致性；请读类别 α = {_fmt(categorical)}。"
                if lang == "zh"
                else f"{v.name!r} is a set of mutually exclusive categories: the pooled α over its codes "
                f"({_fmt(pooled)}) counts the many statements where both coders left a code out as agreement and "
                f"does not measure agreement on the categories; read the categorical α ({_fmt(categorical)})."
            )
    notes.append(
        "编码者在一条语句上的取值为其使用的唯一下级编码；未给出取值的语句按缺失处理；κ 为各编码者对的平均值；"
        "加权 κ 的不一致权重为 |i−j|/(q−1)（线性）或其平方（二次）。"
        if lang == "zh"
        else "A coder's value on a statement is the one child code used there; statements without a value are "
        "missing; κ values are means over coder pairs; weighted κ uses disagreement weights |i−j|/(q−1) (linear) or "
        "their square (quadratic)."
    )
    return Table(label("variables", lang), columns, rows, notes, name="agreement_variables")


def distribution_table(report: AgreementReport) -> Table:
    """How often each coder gave each value of each variable."""
    lang = report.language
    columns = [label("variable", lang), label("values", lang), label("value_number", lang), *report.coders]
    rows: list[list[Cell]] = []
    for v in report.variables:
        for i, (name, number) in enumerate(zip(v.values, v.numbers)):
            rows.append([v.name, name, number, *(v.distribution[c][i] for c in report.coders)])
    return Table(label("distribution", lang), columns, rows, name="agreement_distribution")


def report_tables(
    report: AgreementReport, *, with_method: bool = True, confusion: ConfusionView | None = None
) -> list[Table]:
    """Per-code, chance-corrected, pairwise (more than one pair), variables, overall and confusion tables."""
    tables = [per_code_table(report), chance_table(report)]
    if len(report.pairs) > 1:
        tables.append(pairwise_table(report))
    if report.variables:
        tables += [variables_table(report), distribution_table(report)]
    tables.append(overall_table(report, with_method=with_method))
    if confusion is not None:
        tables.append(confusion_table(confusion, report.language))
    return tables


# --------------------------------------------------------------------------- method paragraph


def method_heading(report: AgreementReport) -> str:
    return label("method", report.language) + ("：" if report.language == "zh" else ": ")


def _alpha_summary(rows: list[CodeAgreement]) -> tuple[int, float | None, float | None, float | None]:
    values = [r.alpha.value for r in rows if r.alpha.value is not None]
    if not values:
        return 0, None, None, None
    return len(values), min(values), max(values), statistics.median(values)


def method_paragraph(report: AgreementReport) -> str:
    """One paragraph stating unit, coders, documents, coefficients with formulas, missing data, results."""
    return _method_zh(report) if report.language == "zh" else _method_en(report)


def _choice(report: AgreementReport, zh: bool) -> str:
    data = report.data
    if report.request.codes:
        return ("所选的" if zh else "the chosen codes ") + data.level_label
    return f"“{data.level_label}”层级的全部编码" if zh else f"all codes at the level “{data.level_label}”"


def _method_zh(report: AgreementReport) -> str:
    data, ov, k = report.data, report.overall, len(report.coders)
    docs = "、".join(d.label for d in data.documents) or "无"
    full = report.coverage[k] if len(report.coverage) > k else 0
    n_def, lo, hi, med = _alpha_summary(report.rows)
    coverage = "每条语句都由全部编码者完成编码" if full == data.n_units else f"其中{full}条语句由全部编码者完成编码"
    text = (
        f"以原始语句为分析单位（标题行不计入）。{k}名编码者（{'、'.join(report.coders)}）独立编码了"
        f"{len(data.documents)}份文档（{docs}）中的{data.n_units}条语句，{coverage}。"
        f"检验对象为{_choice(report, True)}（共{len(data.codes)}个），下级编码的编码结果向上归并到其所属编码。"
        "就每个编码而言，编码者在一条语句上的取值为1（使用了该编码）、0（已标记完成该文档的编码但未使用该编码）"
        "或缺失（尚未标记完成该文档的编码）；缺失值不按0处理，编码者在未标记完成的文档中的编码不计入。"
        "逐编码报告：百分比一致性（所有有取值的编码者取值一致的语句所占比例）；每对编码者的Cohen's κ = "
        "(p_o − p_e)/(1 − p_e)，只计两人均有取值的语句；Fleiss' κ（仅当每位编码者对每条语句都有取值时计算）；"
        "Krippendorff's α（二值名义尺度，α = 1 − D_o/D_e，允许缺失值，只有一名编码者取值的语句不参与计算）；"
        "Holsti系数CR = 2M/(N₁ + N₂)，M为两名编码者都使用该编码的语句数，N₁、N₂为两人各自使用该编码的语句数；"
        "并列出各编码的使用次数。总体信度以全部“编码 × 语句”判断汇总计算Krippendorff's α，"
        "并以每条语句上的编码集合计算采用MASI距离的Krippendorff's α（Passonneau, 2006；与当前NLTK的实现一致，"
        "d = 1 − (|A∩B|/|A∪B|)·M，两集合相同时M = 1，一方为另一方的子集时M = 2/3，有交集时M = 1/3（Passonneau的原始权重），"
        "无交集时M = 0；两个空集之间的距离为0）。系数无定义时（如某编码无人使用、没有变异）不报告数值而注明原因。"
    )
    text += _extra_zh(report)
    if report.request.bootstrap:
        text += (
            f"α的{round(report.request.confidence * 100)}%置信区间采用百分位bootstrap法"
            f"（{report.request.bootstrap}次重抽样，随机种子{report.request.seed}），以语句为重抽样单位；"
            "汇总α的重抽样同时抽取同一语句上的全部编码判断；α无定义的重抽样被舍弃，舍弃次数在表中注明。"
        )
    text += f"结果：汇总α = {_fmt(ov.pooled_alpha.value)}（{ov.pooled_alpha.n_units}个可配对判断单元）"
    if ov.pooled_ci is not None and ov.pooled_ci.low is not None:
        text += f"，{round(ov.pooled_ci.level * 100)}%置信区间[{ov.pooled_ci.low:.3f}, {ov.pooled_ci.high:.3f}]"
    text += f"；MASI α = {_fmt(ov.masi_alpha.value)}"
    if n_def:
        text += f"；{len(report.rows)}个编码中{n_def}个的α有定义，范围{_fmt(lo)}～{_fmt(hi)}，中位数{_fmt(med)}。"
    else:
        text += "；没有编码的α有定义。"
    return text


def _method_en(report: AgreementReport) -> str:
    data, ov, k = report.data, report.overall, len(report.coders)
    docs = ", ".join(d.label for d in data.documents) or "none"
    full = report.coverage[k] if len(report.coverage) > k else 0
    n_def, lo, hi, med = _alpha_summary(report.rows)
    coverage = (
        "every statement was coded by all coders"
        if full == data.n_units
        else (f"{full} statements were coded by all coders")
    )
    text = (
        f"The unit of analysis was the statement (headings excluded). {k} coders ({', '.join(report.coders)}) "
        f"independently coded {data.n_units} statements in {len(data.documents)} documents ({docs}); {coverage}. "
        f"Agreement was assessed for {_choice(report, False)} "
        f"({len(data.codes)} codes), with codings of sub-codes rolled up into the code above them. For each code, "
        "a coder's value on a statement was 1 (used the code), 0 (marked the document as completely coded but did "
        "not use the code) or missing (had not marked the document as completely coded); missing values were never "
        "treated as 0, and codings in documents a coder had not marked complete were left out. Per code we report "
        "percent agreement (share of statements on which all coders with a value agree); Cohen's kappa for each "
        "pair of coders, κ = (p_o − p_e)/(1 − p_e), over the statements both coded; Fleiss' kappa (only when every "
        "coder has a value on every statement); Krippendorff's alpha for binary nominal data with missing values, "
        "α = 1 − D_o/D_e, where statements with a single value are not pairable; and Holsti's coefficient "
        "CR = 2M/(N₁ + N₂), M being the statements both coders coded with the code and N₁, N₂ those each coded "
        "with it; beside how often each coder used the code. Overall agreement is Krippendorff's alpha pooled over "
        "all code × statement decisions, and Krippendorff's alpha on the set of codes per statement with the MASI "
        "distance (Passonneau, 2006, as in current NLTK): d = 1 − (|A∩B|/|A∪B|)·M with M = 1 for equal sets, "
        "2/3 when one is a subset of the other, 1/3 when they overlap and 0 when disjoint (Passonneau's weights); two empty sets are at "
        "distance 0. Where a coefficient is undefined (a code nobody used, no variation) no value is reported and "
        "the reason is given."
    )
    text += _extra_en(report)
    if report.request.bootstrap:
        text += (
            f" {round(report.request.confidence * 100)}% confidence intervals for alpha are percentile bootstrap "
            f"intervals ({report.request.bootstrap} resamples of statements, seed {report.request.seed}); for pooled "
            "alpha a resampled statement brings all its code decisions; resamples where alpha is undefined are "
            "dropped and their number is reported."
        )
    text += f" Results: pooled α = {_fmt(ov.pooled_alpha.value)} ({ov.pooled_alpha.n_units} pairable decisions)"
    if ov.pooled_ci is not None and ov.pooled_ci.low is not None:
        text += f", {round(ov.pooled_ci.level * 100)}% CI [{ov.pooled_ci.low:.3f}, {ov.pooled_ci.high:.3f}]"
    text += f"; MASI α = {_fmt(ov.masi_alpha.value)}"
    if n_def:
        text += f"; α was defined for {n_def} of {len(report.rows)} codes, ranging {_fmt(lo)}–{_fmt(hi)} (median {_fmt(med)})."
    else:
        text += "; α was undefined for every code."
    return text


def _extra_zh(report: AgreementReport) -> str:
    text = (
        "为使“kappa悖论”（百分比一致性很高而κ接近0，常见于罕见编码）可见，另报告Scott's π = (p_o − p_e)/(1 − p_e)，"
        "p_e = Σ_k ((p_Ak + p_Bk)/2)²（Scott, 1955）；Brennan–Prediger S（即Bennett S），p_e = 1/q；"
        "Gwet AC1，p_e = Σ_k π_k(1 − π_k)/(q − 1)（Gwet, 2008），S与AC1采用Gwet (2014)允许缺失值的形式，"
        "二值编码q = 2；并报告列表删除的Fleiss' κ（只用全部编码者都有取值的语句，并注明所用语句数），"
        "以及使用率低于5%或高于95%的罕见编码。"
    )
    if len(report.coders) >= 3:
        text += "三名及以上编码者时，百分比一致性同时报告“全部一致”（全部编码者取值相同的语句比例）和“两两平均”（一致的编码者对比例）。"
    if report.variables:
        text += (
            "对互斥编码组与量表编码，以编码者在语句上选用的唯一取值为变量值，计算类别上的Cohen's κ、Fleiss' κ（列表删除）、"
            "名义及按其测量尺度的Krippendorff's α、Gwet AC1，顺序及以上尺度另报告线性与二次加权κ（Cohen, 1968），"
            "不一致权重为|i − j|/(q − 1)及其平方；并列出各取值的分布。"
        )
    return text


def _extra_en(report: AgreementReport) -> str:
    text = (
        " To make the kappa paradox visible (high percent agreement with κ near 0, typical of rare codes) we also "
        "report Scott's π = (p_o − p_e)/(1 − p_e) with p_e = Σ_k ((p_Ak + p_Bk)/2)² (Scott, 1955); Brennan and "
        "Prediger's S (Bennett's S) with p_e = 1/q; and Gwet's AC1 with p_e = Σ_k π_k(1 − π_k)/(q − 1) (Gwet, "
        "2008), S and AC1 in Gwet's (2014) form for missing ratings with q = 2 for a code; Fleiss' kappa listwise "
        "(over the statements every coder rated, with their number); and a note on codes used on fewer than 5% "
        "or more than 95% of the decisions."
    )
    if len(report.coders) >= 3:
        text += (
            " With three or more coders percent agreement is given both as 'all agree' (share of statements on "
            "which every coder agrees) and as 'mean pairwise' (share of agreeing coder pairs)."
        )
    if report.variables:
        text += (
            " For sets of mutually exclusive codes and scale codes, a coder's value on a statement is the one child "
            "code used; on these values we report Cohen's kappa on the categories, Fleiss' kappa (listwise), "
            "Krippendorff's alpha at the nominal level and at the variable's level of measurement, Gwet's AC1 and, "
            "for ordered scales, weighted kappa (Cohen, 1968) with disagreement weights |i − j|/(q − 1) (linear) and "
            "their square (quadratic), beside the distribution of the values."
        )
    return text


# --------------------------------------------------------------------------- JSON


def stat_dict(stat: Stat) -> dict[str, Any]:
    return {
        "value": stat.value,
        "reason": stat.reason,
        "n_units": stat.n_units,
        "observed": stat.observed,
        "expected": stat.expected,
        "method": stat.method,
        "parts": dict(stat.parts),
    }


def _ci_dict(ci: BootstrapCI[Any]) -> dict[str, Any]:
    return {
        "low": ci.low,
        "high": ci.high,
        "level": ci.level,
        "n_boot": ci.n_boot,
        "n_valid": ci.n_valid,
        "reason": ci.reason,
    }


def _pairs_dict(report: AgreementReport, stats: dict[Pair, Stat]) -> dict[str, Any]:
    return {report.pair_label(p): stat_dict(s) for p, s in stats.items()}


def _variable_dict(report: AgreementReport, v: VariableAgreement) -> dict[str, Any]:
    return {
        "name": v.name,
        "level": v.level,
        "values": list(v.values),
        "numbers": list(v.numbers),
        "distribution": {coder: list(counts) for coder, counts in v.distribution.items()},
        "cohen_kappa": _pairs_dict(report, v.kappa),
        "weighted_kappa_linear": _pairs_dict(report, v.weighted_linear),
        "weighted_kappa_quadratic": _pairs_dict(report, v.weighted_quadratic),
        "fleiss_kappa_listwise": stat_dict(v.fleiss_listwise),
        "alpha_nominal": stat_dict(v.alpha_nominal),
        "alpha_level": stat_dict(v.alpha_level),
        "gwet_ac1": stat_dict(v.ac1),
        "pooled_alpha_children": stat_dict(v.pooled_children),
        "conflicts": v.conflicts,
    }


def report_dict(report: AgreementReport, confusion: ConfusionView | None = None) -> dict[str, Any]:
    """Every figure with its ingredients and reasons, for scripts (``--format json``)."""
    data, ov = report.data, report.overall
    codes = []
    for row in report.rows:
        entry: dict[str, Any] = {
            "code": row.code.name,
            "level": row.code.level,
            "used": dict(zip(report.coders, row.used)),
            "used_any": row.used_any,
            "percent_agreement": stat_dict(row.percent),
            "cohen_kappa": _pairs_dict(report, row.kappa),
            "fleiss_kappa": stat_dict(row.fleiss),
            "krippendorff_alpha": stat_dict(row.alpha),
            "holsti": _pairs_dict(report, row.holsti),
            "prevalence": row.prevalence,
            "rare": is_rare(row.prevalence),
            "scott_pi": _pairs_dict(report, row.pi),
        }
        for key, stat in (
            ("percent_agreement_pairwise", row.percent_pairwise),
            ("brennan_prediger_s", row.bp),
            ("gwet_ac1", row.ac1),
            ("fleiss_kappa_listwise", row.fleiss_listwise),
        ):
            if stat is not None:
                entry[key] = stat_dict(stat)
        if row.alpha_ci is not None:
            entry["alpha_ci"] = _ci_dict(row.alpha_ci)
        codes.append(entry)
    overall: dict[str, Any] = {"pooled_alpha": stat_dict(ov.pooled_alpha), "masi_alpha": stat_dict(ov.masi_alpha)}
    if ov.pooled_ci is not None:
        overall["pooled_alpha_ci"] = _ci_dict(ov.pooled_ci)
    payload: dict[str, Any] = {
        "coders": list(report.coders),
        "documents": [d.label for d in data.documents],
        "choice": data.level_label,
        "statements": data.n_units,
        "coverage": list(report.coverage),
        "codes": codes,
        "overall": overall,
        "notes": report.notes,
        "method": report.method,
        "variables": [_variable_dict(report, v) for v in report.variables],
    }
    if confusion is not None:
        conf = confusion.confusion
        payload["confusion"] = {
            "coder_a": confusion.coder_a,
            "coder_b": confusion.coder_b,
            "n_units": conf.n_units,
            "cells": [{"a": str(a), "b": str(b), "count": n} for (a, b), n in conf.as_dict().items()],
        }
    return payload


# --------------------------------------------------------------------------- rendering

FORMATS = ("text", "md", "csv", "json", "xlsx", "docx")


def render_report(report: AgreementReport, fmt: str, confusion: ConfusionView | None = None) -> str | bytes:
    """The report in ``fmt``; Markdown and Word open with the method paragraph, text and Excel end with it.

    CSV holds the tables only (it has no place for prose); JSON holds every figure with
    its reasons and the method text.
    """
    import json

    from qcoder.analysis.writers import render

    if fmt not in FORMATS:
        raise QcoderError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    tables = report_tables(report, with_method=fmt in ("text", "xlsx"), confusion=confusion)
    if fmt == "json":
        payload = report_dict(report, confusion)
        payload["tables"] = [
            {"name": t.name, "title": t.title, "columns": t.columns, "rows": t.rows, "notes": t.notes} for t in tables
        ]
        return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    if fmt == "md":
        heading = f"## {label('method', report.language)}\n\n{report.method}\n\n"
        return heading + str(render(tables, "md"))
    if fmt == "docx":
        content = render(tables, "docx")
        assert isinstance(content, bytes)
        return _docx_with_method(content, label("method", report.language), report.method)
    return render(tables, fmt)


def _docx_with_method(content: bytes, heading: str, paragraph: str) -> bytes:
    """Put the method as a bold heading and a body paragraph before the first table."""
    import io

    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document(io.BytesIO(content))
    made = []
    for text, bold in ((heading, True), (paragraph, False)):
        p = document.add_paragraph()
        run = p.add_run(text)
        run.bold = bold
        run.font.size = Pt(10.5)
        run.font.name = "Times New Roman"
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
        made.append(p._p)
    body = document.element.body
    for position, element in enumerate(made):
        body.remove(element)
        body.insert(position, element)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
