"""Writes the test PDFs in this folder with reportlab (a PDF writer that is not our reader).

Run from the repository root when the corpus must change:
    python tests/data/sources/make_pdfs.py
The PDFs are committed, so the tests never need reportlab. Chinese text uses reportlab's built-in CID font
STSong-Light (Adobe-GB1, not embedded; every PDF reader maps it to Unicode through the standard CMap), so no
system font is needed. Next to each PDF a JSON file lists every string drawn on each page — the ground truth
the tests count against (every character drawn is either kept or reported as removed).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

HERE = Path(__file__).parent
FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
# Page numbers in Latin and Roman digits use an embedded TrueType font (DejaVu Sans, from fonts-dejavu-core), as
# typesetting software does. PDFium drops a text object of one single glyph of a *non-embedded* CID font when no
# CJK font is installed to stand in for it (a lone `Ⅰ` or `。`); real Chinese PDFs embed their fonts.
LATIN = "DejaVu"
pdfmetrics.registerFont(TTFont(LATIN, "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
NO_LINE_START = "。，、；：？！”’）》」』…"
W, H = A4
ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ"


def _tokens(text: str) -> list[str]:
    """CJK characters one by one, Latin words with their following space."""
    out: list[str] = []
    word = ""
    for ch in text:
        if ch.isascii() and ch != " ":
            word += ch
            continue
        if word:
            out.append(word)
            word = ""
        out.append(ch)
    if word:
        out.append(word)
    return out


def wrap(text: str, width: float, size: float, indent: float = 0.0) -> list[str]:
    """Greedy line filling by measured width; a Latin word that does not fit is hyphenated once."""
    lines: list[str] = []
    line = ""
    avail = width - indent
    for tok in _tokens(text):
        if pdfmetrics.stringWidth(line + tok, FONT, size) <= avail or (tok in NO_LINE_START and line):
            line += tok  # closing punctuation never starts a line: it hangs in the margin
            continue
        if tok.isascii() and tok.strip() and len(tok) > 6:
            cut = len(tok) // 2
            head = tok[:cut] + "-"
            if pdfmetrics.stringWidth(line + head, FONT, size) <= avail:
                lines.append(line + head)
                line, avail = tok[cut:], width
                continue
        lines.append(line.rstrip())
        line, avail = tok.lstrip(), width
    if line.strip():
        lines.append(line.rstrip())
    return lines


class Writer:
    """Draws paragraphs into one or two columns and records what was drawn on each page."""

    def __init__(
        self,
        path: Path,
        *,
        head: str | None,
        footer: str,
        watermark: str | None,
        columns: int = 1,
        bottom: float = 90.0,
    ):
        self.c = canvas.Canvas(str(path), pagesize=A4)
        self.c.setTitle(path.stem)
        self.head, self.footer, self.watermark, self.columns = head, footer, watermark, columns
        self.page = 1
        self.drawn: list[list[str]] = [[]]
        self.margin = 72.0
        self.gutter = 24.0
        self.col_w = (W - 2 * self.margin - (columns - 1) * self.gutter) / columns
        self.col = 0
        self.y = H - 100
        self.bottom = bottom  # a high bottom margin spreads the short test texts over several pages
        self._furniture()

    def _text(self, x: float, y: float, s: str, size: float = 11, char_space: float = 0.0, font: str = FONT) -> None:
        t = self.c.beginText(x, y)
        t.setFont(font, size)
        if char_space:
            t.setCharSpace(char_space)
        t.textOut(s)
        self.c.drawText(t)
        self.drawn[-1].append(s)

    def _furniture(self) -> None:
        if self.head:
            self._text(self.margin, H - 50, self.head, 9)
        foot = self.footer.format(n=self.page, roman=ROMAN[(self.page - 1) % 10])
        latin = all(ch.isascii() or ch in ROMAN for ch in foot)
        self._text(W / 2 - 20, 45, foot, 9, font=LATIN if latin else FONT)
        if self.watermark:
            self.c.saveState()
            self.c.setFillGray(0.85)
            self.c.translate(W / 2, H / 2)
            self.c.rotate(45)
            t = self.c.beginText(-150, 0)
            t.setFont(FONT, 30)
            t.textOut(self.watermark)
            self.c.drawText(t)
            self.c.restoreState()
            self.drawn[-1].append(self.watermark)

    def _x(self) -> float:
        return self.margin + self.col * (self.col_w + self.gutter)

    def _advance(self, need: float) -> None:
        if self.y - need >= self.bottom:
            return
        if self.col + 1 < self.columns:
            self.col += 1
            self.y = self.top_of_columns
            return
        self.new_page()

    def new_page(self) -> None:
        self.c.showPage()
        self.page += 1
        self.drawn.append([])
        self.col = 0
        self.y = H - 100
        self.top_of_columns = self.y
        self._furniture()

    top_of_columns = H - 100

    def title(self, s: str, size: float = 18, char_space: float = 0.0) -> None:
        """Full-width centred title (spans both columns)."""
        self.y -= size * 0.5
        width = pdfmetrics.stringWidth(s, FONT, size) + char_space * (len(s) - 1)
        self._text((W - width) / 2, self.y, s, size, char_space)
        self.y -= size * 1.6
        self.top_of_columns = self.y

    def heading(self, s: str, size: float = 14) -> None:
        self._advance(size * 3)
        self.y -= size * 0.4
        self._text(self._x(), self.y, s, size)
        self.y -= size * 1.5

    def para(self, s: str, size: float = 12, indent: bool = True, justify_last: bool = False) -> None:
        ind = 2 * size if indent else 0.0
        lines = wrap(s, self.col_w, size, ind)
        for i, line in enumerate(lines):
            self._advance(size * 1.5)
            x = self._x() + (ind if i == 0 else 0.0)
            cs = 0.0
            last = i == len(lines) - 1
            if (not last or justify_last) and not line.isascii() and len(line) > 1:
                room = self.col_w - (ind if i == 0 else 0.0) - pdfmetrics.stringWidth(line, FONT, size)
                cs = max(0.0, room / (len(line) - 1))
            self._text(x, self.y, line, size, cs)
            self.y -= size * 1.7
        self.y -= size * 0.8  # paragraph gap (small; the indent marks paragraphs too)

    def save(self) -> None:
        self.c.showPage()
        self.c.save()


POLICY = [
    ("title", "关于进一步加强社区养老服务的实施意见"),
    ("spaced", "引 用 文 件"),
    ("charspaced", "征求意见稿"),
    (
        "para",
        "为贯彻落实国家积极应对人口老龄化战略，进一步健全社区养老服务体系，满足老年人多层次、多样化的养老服务需求，结合本市实际，制定本实施意见。",
    ),
    ("heading", "一、总体要求"),
    (
        "para",
        "坚持以人民为中心的发展思想，坚持政府主导、社会参与、市场运作，统筹推进居家社区机构相协调、医养康养相结合的养老服务体系建设。到2027年，全市街道综合养老服务中心覆盖率达到百分之百，社区养老服务设施覆盖率达到百分之九十以上。",
    ),
    ("heading", "二、主要任务"),
    (
        "para",
        "（一）完善社区养老服务设施网络。新建住宅小区按照每百户不少于二十平方米的标准配建养老服务用房，并与住宅同步规划、同步建设、同步验收、同步交付使用。老旧小区没有养老服务设施或者现有设施未达到标准的，通过购置、置换、租赁等方式补齐。",
    ),
    (
        "para",
        "（二）发展社区嵌入式养老服务。支持养老机构运营社区养老服务设施，上门为居家老年人提供生活照料、助餐助浴、康复护理、精神慰藉等服务。鼓励有条件的社区设立老年食堂，探索发展社区老年人互助服务，推动形成政府、市场、社会和家庭共同参与的格局。",
    ),
    (
        "para",
        "The community care centres follow the international standards for organizational management and report their performance indicators every quarter to the municipal civil affairs bureau. Independent evaluators review the accessibility, affordability and responsiveness of every neighbourhood service, and the results are published on the municipal government website.",
    ),
    ("heading", "三、保障措施"),
    (
        "para",
        "各区要把社区养老服务纳入经济社会发展规划，建立健全工作协调机制，明确部门职责分工，加大财政投入力度。市民政局会同有关部门加强督促检查，及时总结推广典型经验，确保各项任务落到实处。",
    ),
    (
        "para",
        "本意见自印发之日起施行，有效期五年。此前本市有关规定与本意见不一致的，以本意见为准。各区各部门在执行中遇到的问题，请及时向市民政局反映。",
    ),
]

TWOCOL = [
    ("title", "乡村振兴中的青年返乡创业研究"),
    ("heading", "摘要"),
    (
        "para",
        "本文基于对三个县的田野调查，讨论青年返乡创业者如何利用社会网络获取资源。研究发现，亲缘关系提供了最初的资金和劳动力，而地方政府的扶持政策决定了创业项目能否持续。",
    ),
    ("heading", "一、研究问题"),
    (
        "para",
        "近年来，越来越多在城市工作过的青年回到家乡创业。他们带回了技术、资金和市场信息，也面临土地流转、融资困难和人才短缺等问题。本研究关注的问题是：返乡青年如何在熟人社会中建立新的经营方式？",
    ),
    (
        "para",
        "已有研究多从政策角度分析返乡创业，较少关注创业者自身的经验。我们采用扎根理论的方法，对四十二位返乡创业者进行了深度访谈，逐句编码并不断比较，形成了初步的理论框架。",
    ),
    ("heading", "二、研究发现"),
    (
        "para",
        "第一，家庭是最重要的资源来源。多数受访者的启动资金来自父母和兄弟姐妹，家人也往往是最早的雇员。第二，村干部的态度影响很大，支持的村干部会帮助协调土地和用水。",
    ),
    (
        "para",
        "第三，电商平台改变了农产品的销售方式。受访者通过直播和短视频把本地特产卖到全国各地，但物流成本和产品标准化仍然是主要障碍。第四，返乡青年之间形成了互助网络，彼此分享经验和客户。",
    ),
    (
        "para",
        "第五，返乡创业者普遍重视品牌建设。他们注册商标、设计包装，并通过合作社统一质量标准。一些受访者认为，品牌是把小农户和大市场连接起来的关键，也是获得银行贷款的重要条件。",
    ),
    (
        "para",
        "第六，政策支持存在明显的地区差异。东部县的创业补贴和贴息贷款较为充足，申请程序也比较简单；西部县的扶持资金有限，手续复杂，受访者常常需要多次往返县城才能办成一件事。",
    ),
    (
        "para",
        "第七，返乡创业者的身份认同经历了变化。刚回乡时，他们常被村民看作在城里混不下去的人；几年后，随着项目带动了就业，他们逐渐被视为村里的能人，一些人还当选为村干部。",
    ),
    ("heading", "三、结论与讨论"),
    (
        "para",
        "返乡创业不仅是经济行为，也是重新嵌入乡村社会的过程。政策设计应当重视创业者的社会网络，提供持续的培训和金融服务，并改善农村的物流和网络基础设施。",
    ),
]


def _write(path: Path, items: list[tuple[str, str]], writer: Writer, pages: int | None = None) -> None:
    for kind, text in items:
        if kind == "title":
            writer.title(text)
        elif kind == "spaced":
            writer.title(text, size=14)
        elif kind == "charspaced":
            writer.title(text, size=12, char_space=12)
        elif kind == "heading":
            writer.heading(text)
        else:
            writer.para(text)
    while pages and writer.page < pages:
        for kind, text in items[2:]:
            if kind == "para":
                writer.para(text)
            elif kind == "heading":
                writer.heading(text)
    writer.save()
    truth = path.with_suffix(".json")
    truth.write_text(json.dumps({"pages": writer.drawn}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_policy(path: Path) -> None:
    """Single column: running head, '- n -' footers, a rotated watermark, a spaced title, a hyphenated word."""
    w = Writer(path, head="某市人民政府公报　2026年第3期", footer="- {n} -", watermark="内部资料 注意保密", bottom=420)
    _write(path, POLICY, w)


def write_twocol(path: Path) -> None:
    """Two columns under a full-width title, Roman page numbers (Ⅰ Ⅱ …) and no running head."""
    w = Writer(path, head=None, footer="{roman}", watermark=None, columns=2, bottom=420)
    _write(path, TWOCOL, w)


def write_scanned(path: Path) -> None:
    """A page that is only a picture (no text layer), the way a scanner writes it."""
    c = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(2):
        c.setFillGray(0.3)
        for i in range(30):
            c.rect(72, H - 100 - i * 20, W - 144 - (i % 5) * 40, 8, stroke=0, fill=1)
        c.showPage()
    c.save()


def write_long(path: Path, pages: int = 200) -> None:
    """The benchmark PDF: the policy text repeated over `pages` pages with all the furniture."""
    w = Writer(path, head="某市人民政府公报　2026年第3期", footer="第 {n} 页", watermark="内部资料 注意保密")
    _write(path, POLICY, w, pages=pages)


def main() -> None:
    if len(sys.argv) > 1:  # bench: python make_pdfs.py OUT.pdf [PAGES]
        write_long(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 200)
        return
    write_policy(HERE / "policy.pdf")
    write_twocol(HERE / "twocol.pdf")
    write_scanned(HERE / "scanned.pdf")


if __name__ == "__main__":
    main()
