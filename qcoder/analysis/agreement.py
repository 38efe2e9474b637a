"""Inter-coder agreement on a project: per-code and overall figures, assembled into the report.

Why this shape: GT papers report agreement per code and overall, and the figures must
respect one rule the statistics cannot know about — a coder who has not reviewed a
document (``DocumentReview``) has *no* value there, not a 0. The units come from
:mod:`qcoder.coding.agreement_units` (reconciliation reads them too) as (coders x
statements) arrays of 1 (coded, directly or through a child code), 0 (reviewed, not
coded) and NaN (not reviewed); :mod:`qcoder.analysis.agreement_stats` computes on them,
:mod:`qcoder.analysis.agreement_records` holds the report, and
:mod:`qcoder.analysis.agreement_output` puts it into words and tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy.orm import Session

from qcoder.analysis.agreement_coefficients import (
    brennan_prediger,
    code_figures,
    fleiss_kappa_listwise,
    gwet_ac1,
    is_rare,
    pairwise_scott_pi,
    prevalence,
)
from qcoder.analysis.agreement_output import method_paragraph
from qcoder.analysis.agreement_records import (  # noqa: F401 - the report's records, re-exported
    AgreementReport,
    CodeAgreement,
    ConfusionView,
    Overall,
    Pair,
)
from qcoder.analysis.agreement_stats import (
    BootstrapCI,
    Stat,
    bootstrap_alpha_ci,
    confusion,
    fleiss_kappa,
    krippendorff_alpha,
    pairwise_cohen_kappa,
    pairwise_holsti,
    percent_agreement,
    pooled_alpha,
)
from qcoder.coding.agreement_units import (  # the request and the units: also imported from here
    AgreementRequest,
    BoolArray,
    CodeRef,
    FloatArray,
    UnitData,
    load_units,
)
from qcoder.store.settings import levels, report_language

NO_SHARED_DOCUMENTS = "no document is reviewed by at least two of the chosen coders"


def code_agreement(
    code: CodeRef, x: FloatArray, *, bootstrap: int = 0, seed: int = 0, confidence: float = 0.95
) -> CodeAgreement:
    """All per-code statistics on one (coders, units) array."""
    coded = x == 1.0
    used = tuple(int(n) for n in np.count_nonzero(coded, axis=1))
    ci = None
    if bootstrap > 0:
        ci = bootstrap_alpha_ci(x, n_boot=bootstrap, seed=seed, level=confidence)
    fast = code_figures(x)  # one pass for every figure of 0/1 data
    if fast is not None:
        return CodeAgreement(
            code=code,
            used=used,
            used_any=int(np.count_nonzero(coded.any(axis=0))),
            percent=fast.percent,
            kappa=fast.kappa,
            fleiss=fast.fleiss,
            alpha=fast.alpha if ci is None else ci.estimate,
            holsti=fast.holsti,
            alpha_ci=ci,
            percent_pairwise=fast.percent_pairwise,
            pi=fast.pi,
            bp=fast.bp,
            ac1=fast.ac1,
            fleiss_listwise=fast.fleiss_listwise,
            prevalence=fast.prevalence,
        )
    return CodeAgreement(
        code=code,
        used=used,
        used_any=int(np.count_nonzero(coded.any(axis=0))),
        percent=percent_agreement(x),
        kappa=pairwise_cohen_kappa(x),
        fleiss=fleiss_kappa(x),
        alpha=krippendorff_alpha(x) if ci is None else ci.estimate,
        holsti=pairwise_holsti(x),
        alpha_ci=ci,
        percent_pairwise=percent_agreement(x, pairwise=True),
        pi=pairwise_scott_pi(x),
        bp=brennan_prediger(x, 2),
        ac1=gwet_ac1(x, 2),
        fleiss_listwise=fleiss_kappa_listwise(x),
        prevalence=prevalence(x),
    )


def agreement_report(session: Session, request: AgreementRequest) -> AgreementReport:
    """Load the units and compute every per-code figure, the overall figures and the method text."""
    data = load_units(session, request)
    language = report_language(session)
    present = data.present()
    matrices = [data.matrix(i, present) for i in range(len(data.codes))]
    rows = [
        code_agreement(code, x, bootstrap=request.bootstrap, seed=request.seed, confidence=request.confidence)
        for code, x in zip(data.codes, matrices)
    ]
    if matrices:
        pooled = pooled_alpha(matrices)
    else:
        pooled = Stat(None, "no codes chosen", 0, len(data.coders), method="pooled Krippendorff's alpha (nominal)")
    pooled_ci = None
    if request.bootstrap > 0 and matrices:
        pooled_ci = pooled_bootstrap(matrices, request.bootstrap, request.seed, request.confidence)
    masi = masi_alpha(data, present)
    coverage = tuple(np.bincount(present.sum(axis=0), minlength=len(data.coders) + 1).tolist())
    from qcoder.analysis.agreement_variables import variable_agreements

    report = AgreementReport(
        request=request,
        data=data,
        rows=rows,
        overall=Overall(pooled, masi, pooled_ci),
        coverage=coverage,
        language=language,
        notes=_notes(data, coverage, language) + _rare_notes(rows, language),
        level_names={lv.rank: lv.label(language) for lv in levels(session)},
        variables=variable_agreements(session, request, data),
    )
    report.method = method_paragraph(report)
    return report


def masi_alpha(data: UnitData, present: BoolArray | None = None) -> Stat:
    """Alpha over the set of chosen codes per statement with the MASI distance (exact; see agreement_masi)."""
    from qcoder.analysis.agreement_masi import alpha_masi_masks, coder_masks

    masks = coder_masks(len(data.coders), data.n_units, len(data.codes), data.hit_coder, data.hit_unit, data.hit_code)
    return alpha_masi_masks(masks, data.present() if present is None else present)


def _notes(data: UnitData, coverage: Sequence[int], language: str) -> list[str]:
    zh = language == "zh"
    notes: list[str] = []
    if not data.documents:
        notes.append(
            "所选编码者中没有两人都标记为已完成的文档；请先用 `qcoder review DOC --coder NAME` 标记。"
            if zh
            else f"{NO_SHARED_DOCUMENTS}; mark finished documents with `qcoder review DOC --coder NAME`."
        )
    elif data.n_units == 0:
        notes.append("所选文档中没有语句。" if zh else "The chosen documents hold no statements.")
    for name, count in zip(data.coders, data.left_out):
        if count:
            notes.append(
                f"{name} 在未标记完成的文档中的 {count} 次编码未计入（视为缺失）。"
                if zh
                else f"{count} codings by {name} in documents {name} has not marked reviewed were left out (missing)."
            )
    incomplete = data.n_units - coverage[-1]
    if incomplete and data.codes:
        used = coverage[-1]
        notes.append(
            f"Fleiss' κ 未按全部语句计算：{data.n_units} 条语句中有 {incomplete} 条并非每位编码者都已编码"
            f"（Fleiss' κ 要求完整数据）；表中“Fleiss κ（列表删除）”只用全部编码者都已编码的 {used} 条语句；"
            "Krippendorff α 与 Gwet AC1 允许缺失值。"
            if zh
            else f"Fleiss' kappa over all statements not computed: {incomplete} of {data.n_units} statements were "
            f"not coded by every coder (Fleiss' kappa needs complete data); the listwise Fleiss' kappa uses the "
            f"{used} statements every coder coded; Krippendorff's alpha and Gwet's AC1 allow missing values."
        )
    if not data.codes:
        notes.append("没有符合条件的编码。" if zh else "No codes match the choice.")
    return notes


def _rare_notes(rows: Sequence[CodeAgreement], language: str) -> list[str]:
    """Codes used on < 5 % or > 95 % of decisions: κ, π and α can be near 0 while agreement is high."""
    rare = [r for r in rows if is_rare(r.prevalence)]
    if not rare:
        return []
    names = ("、" if language == "zh" else ", ").join(
        f"{r.code.label} ({(r.prevalence or 0.0) * 100:.1f}%)" for r in rare
    )
    if language == "zh":
        return [
            f"罕见/过常编码（使用率低于5%或高于95%）：{names}。此时即使百分比一致性很高，κ、π、α 也可能接近0"
            "（“kappa悖论”），请同时参考 Gwet AC1 与百分比一致性。"
        ]
    return [
        f"Rare or near-universal codes (used on under 5% or over 95% of decisions): {names}. Here κ, π and α can be "
        "near 0 although percent agreement is high (the kappa paradox); read them beside Gwet's AC1 and percent "
        "agreement."
    ]


def pooled_bootstrap(
    matrices: Sequence[FloatArray], n_boot: int, seed: int = 0, level: float = 0.95
) -> BootstrapCI[float | None]:
    """Percentile CI for pooled binary alpha, resampling statements with all their code decisions.

    Why statements, not code x statement cells: decisions on one statement are made
    together, so cells are not independent. For 0/1 data alpha = 1 - (n - 1) W / (2 n0 n1)
    where per statement u (over codes c, pairable only): n_u = sum m_uc, n1_u = sum k_uc and
    W_u = sum 2 k_uc (m_uc - k_uc) / (m_uc - 1); a replicate reweights the statements.
    """
    n_u = np.zeros(matrices[0].shape[1])
    n1_u, w_u = np.zeros_like(n_u), np.zeros_like(n_u)
    for x in matrices:
        m = np.count_nonzero(~np.isnan(x), axis=0).astype(np.float64)
        k = np.count_nonzero(x == 1.0, axis=0).astype(np.float64)
        ok = m >= 2
        n_u += np.where(ok, m, 0.0)
        n1_u += np.where(ok, k, 0.0)
        w_u += np.where(ok, 2.0 * k * (m - k) / np.maximum(m - 1, 1), 0.0)
    keep = n_u > 0
    n_u, n1_u, w_u = n_u[keep], n1_u[keep], w_u[keep]
    if n_u.size == 0:
        return BootstrapCI(None, None, None, level, n_boot, 0, "no statement has two coders")

    def alpha(weights: FloatArray) -> float | None:
        n, n1, w = float(weights @ n_u), float(weights @ n1_u), float(weights @ w_u)
        n0 = n - n1
        return 1.0 - (n - 1.0) * w / (2.0 * n0 * n1) if n0 > 0 and n1 > 0 else None

    rng = np.random.default_rng(seed)
    share = np.full(n_u.size, 1.0 / n_u.size)
    drawn = (alpha(rng.multinomial(n_u.size, share).astype(np.float64)) for _ in range(n_boot))
    values = [v for v in drawn if v is not None]
    estimate = alpha(np.ones(n_u.size))
    if not values:
        return BootstrapCI(estimate, None, None, level, n_boot, 0, "alpha undefined in every bootstrap replicate")
    low, high = np.quantile(np.array(values), [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
    return BootstrapCI(estimate, float(low), float(high), level, n_boot, len(values))


def confusion_view(
    session: Session, request: AgreementRequest, coder_a: str | None = None, coder_b: str | None = None
) -> ConfusionView:
    """Two coders' code sets per statement side by side, over statements both reviewed.

    Without names, the first two coders of the request are compared.
    """
    names = [coder_a or request.coders[0], coder_b or request.coders[1]]
    data = load_units(
        session,
        AgreementRequest(
            coders=tuple(names),
            level=request.level,
            codes=request.codes,
            documents=request.documents,
        ),
    )
    return confusion_from_units(data)


def confusion_from_units(data: UnitData, a: int = 0, b: int = 1) -> ConfusionView:
    """Coder ``a`` against coder ``b`` of already loaded unit data (the CLI's ``--confusion``)."""
    labels = [c.label for c in data.codes]
    sets = data.unit_sets()

    def named(found: frozenset[int] | None) -> frozenset[str] | None:
        return None if found is None else frozenset(labels[i] for i in found)

    a_sets, b_sets = [named(row[a]) for row in sets], [named(row[b]) for row in sets]
    return ConfusionView(data.coders[a], data.coders[b], confusion(a_sets, b_sets))
