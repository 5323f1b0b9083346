"""The PDF page every report is drawn on: A4, DejaVu fonts, a footer with the page number, headings,
paragraphs, bullets and tables. Used by the round report (report, report_pages) and the network
overview (network_report)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from conversations.texts import reports as texts

from . import style

FONT = "DejaVu"
Block = Callable[["ReportPDF"], None]
HEADING_FILL = (236, 236, 236)
ROW_FILL = (247, 247, 247)


class ReportPDF(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4", unit="mm")
        self.footer_text = footer_text
        self.part_label: str | None = None
        # Set after a page that must stand alone (the summary, a picture): the next element starts afresh.
        self.needs_new_page = True
        self.add_font(FONT, "", str(style.FONT_PATH))
        self.add_font(FONT, "B", str(style.FONT_BOLD_PATH))
        self.set_auto_page_break(True, margin=18)
        self.set_margins(18, 16, 18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 9)
        self.set_text_color(110)
        self.cell(0, 6, texts.page_footer(self.footer_text, self.page_no()), align="C")
        self.set_text_color(0)

    def heading(self, text: str, size: float = 18) -> None:
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def para(self, text: str, size: float = 11, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        # Ragged right: justified lines open wide gaps between words, which a tired reader trips over.
        self.multi_cell(0, size * 0.48, pdf_text(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def bullets(self, title: str, items: list[str], empty: str = texts.NOTHING_RECORDED, size: float = 11) -> None:
        self.para(title, size + 1, bold=True)
        if not items:
            self.para(empty, size)
        for item in items:
            self.set_x(self.l_margin + 4)
            self.set_font(FONT, "", size)
            self.multi_cell(0, size * 0.48, "• " + pdf_text(item), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def grid(self, columns: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
             size: float = 10, bold_first: bool = False, shaded: Sequence[bool] = ()) -> None:
        """A table with a heading row; `shaded` marks rows drawn on a warm band (overdue actions)."""
        self.set_font(FONT, "", size)
        with self.table(col_widths=tuple(widths), text_align="LEFT", line_height=size * 0.5,
                        borders_layout="HORIZONTAL_LINES", padding=(1.2, 1.5),
                        headings_style=FontFace(emphasis="BOLD", fill_color=HEADING_FILL)) as table:
            heading = table.row()
            for column in columns:
                heading.cell(pdf_text(column))
            for i, cells in enumerate(rows):
                row = table.row()
                warm = i < len(shaded) and shaded[i]
                for j, value in enumerate(cells):
                    face = FontFace(emphasis="BOLD" if (bold_first and j == 0) else None,
                                    fill_color=(252, 235, 226) if warm else None)
                    row.cell(pdf_text(value), style=face)
        self.ln(2)


def pdf_text(text: str | None) -> str:
    """Drop glyphs DejaVu Sans lacks (fpdf2 would print blanks) but keep line breaks."""
    return "\n".join(style.clean(line) for line in str(text or "").splitlines())
