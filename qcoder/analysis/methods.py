"""The methods section of a grounded-theory paper, written from the project's data.

Why: Chinese GT papers print the same paragraphs — data, 三级编码 with the count chain,
编码信度, 理论饱和度检验, the relation structure, the software — and few report every
step. Here each paragraph is composed from the figures the other reports compute, never
typed: the count chain is ``report hierarchy``'s, the agreement figures ``qcoder agree``'s,
the saturation verdict ``report saturation``'s and the relation table ``report tables``'s,
printed with the same decimals, so a reader can trace every number to a report.
"""

from __future__ import annotations

import io
import platform
from dataclasses import dataclass, field, replace
from importlib import metadata

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qcoder.analysis.hierarchy import hierarchy
from qcoder.analysis.saturation import holdout_check
from qcoder.analysis.table import Table
from qcoder.analysis.tables import relation_table
from qcoder.analysis.writers import number_text, render
from qcoder.errors import QcoderError
from qcoder.store.models import Coder, Coding, Document, DocumentReview, Relation
from qcoder.store.settings import get_setting, levels

LANGUAGES = ("zh", "en")
FORMATS = ("md", "docx")


@dataclass
class MethodsSection:
    """Headed paragraphs, the tables they refer to, and the figures they cite (for tracing)."""

    language: str
    paragraphs: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: dict[str, str] = field(default_factory=dict)  # what -> the text printed

    @property
    def text(self) -> str:
        return "\n\n".join(f"{head}\n{body}" for head, body in self.paragraphs)


def version() -> str:
    try:
        return metadata.version("qcoder")
    except metadata.PackageNotFoundError:
        return "development"


def methods_section(session: Session, language: str | None = None) -> MethodsSection:
    lang = language or str(get_setting(session, "language"))
    if lang not in LANGUAGES:
        raise QcoderError(f"--lang takes zh or en, got {lang!r}")
    zh = lang == "zh"
    section = MethodsSection(lang)
    _data(session, section, zh)
    _stages(session, section, zh)
    _reliability(session, section, zh)
    _saturation(session, section, zh)
    _relations(session, section, zh)
    _software(session, section, zh)
    return section


# --------------------------------------------------------------------------- paragraphs


def _data(session: Session, section: MethodsSection, zh: bool) -> None:
    docs = session.execute(select(Document.role, Document.attributes, Document.imported_at)).all()
    h = hierarchy(session)
    coding = sum(1 for role, _, _ in docs if role == "coding")
    holdout = len(docs) - coding
    keys: dict[str, set[str]] = {}
    for _, attributes, _ in docs:
        for key, value in (attributes or {}).items():
            keys.setdefault(key, set()).add(str(value))
    dates = sorted(d for _, _, d in docs if d is not None)
    section.figures.update(documents=str(len(docs)), statements=str(h.total_statements), coded=str(h.coded_statements))
    attrs = ("；" if zh else "; ").join(
        f"{k}（{len(v)}类：{'、'.join(sorted(v)[:6])}）" if zh else f"{k} ({len(v)} kinds: {', '.join(sorted(v)[:6])})"
        for k, v in sorted(keys.items())
    )
    span = f"{dates[0]:%Y-%m-%d}–{dates[-1]:%Y-%m-%d}" if dates else ""
    if zh:
        text = (
            f"本研究的资料包括{len(docs)}份文本，其中{coding}份用于编码分析，{holdout}份留作理论饱和度检验。"
            + (f"文本属性：{attrs}。" if attrs else "")
            + (f"文本于{span}导入分析软件。" if span else "")
            + f"全部文本按句切分为{h.total_statements}条原始语句（标题行不计），其中{h.coded_statements}条在编码中被使用。"
        )
        section.paragraphs.append(("一、研究资料", text))
    else:
        text = (
            f"The data are {len(docs)} texts: {coding} were coded and {holdout} held out for the saturation test."
            + (f" Document attributes: {attrs}." if attrs else "")
            + (f" The texts were imported {span}." if span else "")
            + f" They were split into {h.total_statements} statements (headings excluded), "
            f"{h.coded_statements} of which were coded."
        )
        section.paragraphs.append(("Data", text))


def _stages(session: Session, section: MethodsSection, zh: bool) -> None:
    h = replace(hierarchy(session), language="zh" if zh else "en")
    chain = h.chain()
    section.figures["chain"] = chain
    ladder = h.levels
    if zh:
        names = "、".join(lv.name for lv in ladder)
        text = (
            "采用扎根理论的三级编码程序（开放式编码、主轴编码、选择性编码）。开放式编码中逐句贴标签、"
            f"提炼概念并归纳初始范畴；主轴编码依据范式模型（因果条件—现象—情境—中介条件—行动/互动策略—结果）"
            f"建立范畴间关系并归纳主范畴；选择性编码围绕故事线提炼核心范畴。编码层级依次为{names}。"
            f"编码结果的数量链为：{chain}。"
        )
        section.paragraphs.append(("二、三级编码过程", text))
    else:
        names = ", ".join(lv.name_en for lv in ladder)
        text = (
            "Coding followed the three stages of grounded theory: open coding labelled each statement, derived "
            "concepts and grouped them into initial categories; axial coding related the categories along the "
            "paradigm model (causal conditions, phenomenon, context, intervening conditions, action/interaction "
            "strategies, consequences) into main categories; selective coding integrated them around a storyline "
            f"into the core category. The levels were: {names}. The count chain is: {chain}."
        )
        section.paragraphs.append(("Three-stage coding", text))


def _reliability(session: Session, section: MethodsSection, zh: bool) -> None:
    from qcoder.analysis.agreement import AgreementRequest, agreement_report

    head = "三、编码信度" if zh else "Coding reliability"
    reviewers = session.scalars(
        select(Coder.name).join(DocumentReview, DocumentReview.coder_id == Coder.id).group_by(Coder.name)
    ).all()
    coders_total = session.scalar(select(func.count(func.distinct(Coding.coder_id)))) or 0
    if len(reviewers) < 2:
        section.paragraphs.append(
            (
                head,
                f"共{coders_total}名编码者参与编码；尚无两名编码者都标记完成的文档，未进行编码信度检验"
                "（用 `qcoder review` 标记后，`qcoder agree` 计算）。"
                if zh
                else f"{coders_total} coder(s) coded; no document has been marked complete by two coders, so no "
                "agreement pilot was run (mark documents with `qcoder review`, then run `qcoder agree`).",
            )
        )
        return
    try:
        report = agreement_report(session, AgreementRequest(coders=tuple(sorted(reviewers)), level=0))
    except QcoderError as error:
        section.paragraphs.append((head, str(error)))
        return
    kappas = [s.value for r in report.rows for s in r.kappa.values() if s.value is not None]
    holstis = [s.value for r in report.rows for s in r.holsti.values() if s.value is not None]
    pooled, masi = report.overall.pooled_alpha.value, report.overall.masi_alpha.value
    docs = ("、" if zh else ", ").join(d.label for d in report.data.documents)

    def rng(values: list[float]) -> str:
        if not values:
            return "—"
        low, high = number_text(min(values)), number_text(max(values))
        return low if low == high else f"{low}–{high}"

    section.figures.update(
        kappa=rng(kappas), holsti=rng(holstis), pooled_alpha=_num(pooled), masi_alpha=_num(masi)
    )  # fmt: skip
    coders = ("、" if zh else ", ").join(report.coders)
    if zh:
        text = (
            f"由{len(report.coders)}名编码者（{coders}）独立编码预编码文档{docs}（{report.data.n_units}条语句），"
            f"以语句为分析单位检验{len(report.rows)}个概念的编码信度。Holsti系数 CR = 2M/(N₁ + N₂)，"
            f"各概念各编码者对的CR为{rng(holstis)}；Cohen's κ = (p_o − p_e)/(1 − p_e)，为{rng(kappas)}；"
            f"以全部“概念 × 语句”判断汇总的Krippendorff's α = 1 − D_o/D_e 为{_num(pooled)}，"
            f"采用MASI距离（Passonneau权重2/3、1/3）的α为{_num(masi)}。"
            "未标记完成的文档按缺失值处理，不计为0。分歧经讨论后形成一致编码。"
        )
    else:
        text = (
            f"{len(report.coders)} coders ({coders}) independently coded the pilot documents {docs} "
            f"({report.data.n_units} statements); agreement was assessed per concept with the statement as unit. "
            f"Holsti's CR = 2M/(N₁ + N₂) ranged {rng(holstis)} over concepts and coder pairs; Cohen's "
            f"κ = (p_o − p_e)/(1 − p_e) ranged {rng(kappas)}; Krippendorff's α = 1 − D_o/D_e pooled over all "
            f"concept × statement decisions was {_num(pooled)}, and α with the MASI distance (Passonneau's weights "
            f"2/3 and 1/3) was {_num(masi)}. Documents a coder had not marked complete were missing, not 0. "
            "Disagreements were discussed to a consensus coding."
        )
    section.paragraphs.append((head, text))


def _num(value: float | None) -> str:
    return "—" if value is None else number_text(value)


def _saturation(session: Session, section: MethodsSection, zh: bool) -> None:
    check = holdout_check(session)
    check = replace(check, language="zh" if zh else "en")
    section.figures["saturation"] = check.verdict
    if zh:
        text = (
            "为检验理论饱和度，预留的文档不参与模型构建，在编码框架冻结后对其编码，观察是否出现新的概念、范畴或关系。"
            f"检验结果：{check.verdict}。"
        )
        section.paragraphs.append(("四、理论饱和度检验", text))
    else:
        text = (
            "To test theoretical saturation, held-out documents took no part in building the model and were coded "
            f"after the codebook was frozen, looking for new concepts, categories or relations. Result: {check.verdict}."
        )
        section.paragraphs.append(("Theoretical saturation", text))


def _relations(session: Session, section: MethodsSection, zh: bool) -> None:
    table = relation_table(session)
    n = session.scalar(select(func.count(Relation.id))) or 0
    section.figures["relations"] = str(n)
    if n:
        section.tables.append(table)
    text = (
        f"主轴编码中共建立{n}条范畴间关系，其类型与内涵见下表。"
        if zh
        else f"Axial coding set {n} relations between categories; their types and meanings are in the table below."
    )
    section.paragraphs.append(("五、主范畴的关系结构" if zh else "Relation structure", text))


def _software(session: Session, section: MethodsSection, zh: bool) -> None:
    ladder = levels(session)
    segmentation = "分号断句" if get_setting(session, "split_on_semicolon") else "句号、问号、叹号断句"
    simplified = bool(get_setting(session, "to_simplified"))
    ver = version()
    section.figures["version"] = ver
    if zh:
        text = (
            f"编码与分析使用 qcoder {ver}（Python {platform.python_version()}）。设置：编码层级"
            f"{'→'.join(lv.name for lv in ladder)}；分句规则：{segmentation}；"
            f"{'繁体转简体' if simplified else '保留原文字形'}；分析单位为语句。"
        )
        section.paragraphs.append(("六、分析工具", text))
    else:
        text = (
            f"Coding and analysis used qcoder {ver} (Python {platform.python_version()}). Settings: levels "
            f"{' → '.join(lv.name_en for lv in ladder)}; statements split at "
            f"{'semicolons and sentence ends' if get_setting(session, 'split_on_semicolon') else 'sentence ends'}; "
            f"{'traditional characters converted to simplified' if simplified else 'characters kept as written'}; "
            "the unit of analysis is the statement."
        )
        section.paragraphs.append(("Software", text))


# --------------------------------------------------------------------------- rendering


def render_methods(section: MethodsSection, fmt: str, figures: dict[str, bytes] | None = None) -> str | bytes:
    """Markdown, or a Word document (headings, paragraphs, tables and, if given, PNG figures)."""
    if fmt not in FORMATS:
        raise QcoderError(f"the methods section is written as md or docx, not {fmt!r}")
    title = "研究方法" if section.language == "zh" else "Methods"
    if fmt == "md":
        parts = [f"# {title}"]
        parts += [f"## {head}\n\n{body}" for head, body in section.paragraphs]
        text = "\n\n".join(parts) + "\n\n"
        if section.tables:
            rendered = render(section.tables, "md")
            text += rendered if isinstance(rendered, str) else rendered.decode()
        return text
    return _docx(section, title, figures or {})


def _docx(section: MethodsSection, title: str, figures: dict[str, bytes]) -> bytes:
    from docx import Document as Docx
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Docx(io.BytesIO(render(section.tables, "docx"))) if section.tables else Docx()  # type: ignore[arg-type]
    body = document.element.body
    made = []

    def add(text: str, bold: bool = False, size: float = 10.5) -> None:
        p = document.add_paragraph()
        run = p.add_run(text)
        run.bold = bold
        run.font.size = Pt(size)
        run.font.name = "Times New Roman"
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
        made.append(p._p)

    add(title, bold=True, size=14)
    for head, text in section.paragraphs:
        add(head, bold=True, size=12)
        add(text)
    for caption, png in figures.items():
        document.add_picture(io.BytesIO(png), width=Cm(15))
        made.append(body[-2] if body[-1].tag.endswith("sectPr") else body[-1])
        add(caption)
    for position, element in enumerate(made):
        body.remove(element)
        body.insert(position, element)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def methods_file(session: Session, fmt: str, language: str | None = None) -> str | bytes:
    """The methods section as md, or as docx with the hierarchy, relation and saturation figures embedded."""
    section = methods_section(session, language)
    if fmt != "docx":
        return render_methods(section, fmt)
    from qcoder.analysis.figures import figure_captions

    return render_methods(section, fmt, figure_captions(session, section.language))
