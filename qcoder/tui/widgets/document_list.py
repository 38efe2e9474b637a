"""The documents list: label, name, this coder's progress (coded / total), reviewed mark.

An entry's count changes with most first codings of a statement; its line is drawn from the
label's own segments (``QuickText``) where it fits, not through Textual's Content (a third
of such a toggle's drawing).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from qcoder.coding.records import DocumentSummary
from qcoder.i18n import _
from qcoder.tui.widgets.quick_text import QuickText


def document_label(doc: DocumentSummary) -> Text:
    label = Text(f"{doc.label} ", style="bold", no_wrap=True, overflow="ellipsis")  # a long title ends in …

    label.append(doc.shown_name)
    label.append(f" {doc.coded_by_me}/{doc.statements}", style="dim")
    if doc.reviewed_by_me:
        label.append(" ✓", style="bold green")
    if doc.role == "holdout":
        label.append(_(" holdout"), style="italic dim")
    return label


def _same_text(label: Text, shown: object) -> bool:
    """The same characters in the same styles: drawing one again would change nothing."""
    return (
        isinstance(shown, Text)
        and label.plain == shown.plain
        and label.spans == shown.spans
        and label.style == shown.style
        and label.no_wrap == shown.no_wrap
        and label.overflow == shown.overflow
    )


class DocumentList(OptionList):
    DEFAULT_CSS = """
    DocumentList { background: $surface; scrollbar-size-vertical: 1; text-wrap: nowrap; text-overflow: ellipsis; }

    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.documents: list[DocumentSummary] = []
        self._quick = QuickText()
        self.quick_lines = True  # entries drawn from their labels' segments where they fit (tests turn it off)

    def show(self, documents: Sequence[DocumentSummary], current: int | None) -> None:
        self.documents = list(documents)
        self.set_options([Option(document_label(doc), id=str(doc.id)) for doc in self.documents])
        if not self.documents:
            self.add_option(Option(Text(_("(no documents — I imports a file)"), style="dim"), disabled=True))

            return
        index = next((i for i, doc in enumerate(self.documents) if doc.id == current), 0)
        self.highlighted = index

    def _get_option_render(self, option: Option, style: VisualStyle) -> list[Strip]:
        """Textual's entry drawing (kept in its cache under its key), from the label's segments where it fits."""
        prompt = option.prompt
        if self.quick_lines and isinstance(prompt, Text) and not option._divider:
            padding = self.get_component_styles("option-list--option").padding
            key = (option, style, padding)
            strips = self._option_render_cache.get(key)
            if strips is not None:
                return strips
            width = self.scrollable_content_region.width - self._get_left_gutter_width()
            segments = None if padding else self._quick.segments(self, prompt, style, width)
            if segments is not None:
                meta = {"option": self._option_to_index[option]}
                strips = [Strip(segments).extend_cell_length(width, style.rich_style).apply_meta(meta)]
                self._option_render_cache[key] = strips
                return strips
        return super()._get_option_render(option, style)

    def notify_style_update(self) -> None:
        self._quick.forget()
        super().notify_style_update()

    def update_document(self, doc: DocumentSummary) -> None:
        """Redraw one entry (progress changed) without resetting the list; not at all when it shows the same.

        Most codings leave a document's figures as they were (another code on a coded statement), and a
        repaint then only costs the frame time.
        """
        for i, known in enumerate(self.documents):
            if known.id == doc.id:
                self.documents[i] = doc
                label = document_label(doc)
                if not _same_text(label, self.get_option_at_index(i).prompt):
                    self._replace_line(i, label)
                return

    def _replace_line(self, index: int, prompt: Text) -> None:
        """``replace_option_prompt_at_index`` that repaints only that entry's line.

        Labels never wrap (``no_wrap``), so no other entry moves; Textual's own method
        forgets every entry's drawing and repaints the whole list, on each coding.
        """
        line = self._line_cache.index_to_line.get(index)
        if line is None or self._line_cache.heights.get(index) != 1:
            self.replace_option_prompt_at_index(index, prompt)
            return
        option = self.get_option_at_index(index)
        option._set_prompt(prompt)
        cache = self._option_render_cache
        for key in [key for key in list(cache.keys()) if key[0] is option]:
            cache.discard(key)
        self.refresh(Region(0, line - int(self.scroll_offset.y), self.size.width, 1))
