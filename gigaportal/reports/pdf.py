"""A pack of reports as an A4 PDF (ReportLab): a cover with the period, then each
section's table (its header repeated on every page it spans) and its chart drawn as
vector graphics from the same rows, page numbers and the "as of" date on every page.

Japanese text is set in IPAexGothic (shipped by matplotlib-fontja, already the charts'
font), registered as a TrueType font so that the PDF embeds the subset it uses: a
reader needs no font pack. Cells wrap with ReportLab's CJK line breaking.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
import io
from collections.abc import Sequence
from pathlib import Path

from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from gigaportal.reports.pack import Section, chart_groups, number
from gigaportal.reports.tables import _display_width

FONT = "IPAexGothic"
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


def font_path() -> Path:
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or spec.origin is None:
        raise RuntimeError("matplotlib-fontja is not installed: the PDF needs IPAexGothic")
    return Path(spec.origin).parent / "fonts" / "ipaexg.ttf"


@functools.cache
def register_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT, str(font_path())))
    return FONT


def _styles():
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("base", fontName=FONT, fontSize=8, leading=10.5, wordWrap="CJK")
    return {
        "cell": base,
        "number": ParagraphStyle("number", parent=base, alignment=2),
        "head": ParagraphStyle("head", parent=base, textColor="#ffffff"),
        "h1": ParagraphStyle("h1", parent=base, fontSize=13, leading=18, spaceAfter=6),
        "note": ParagraphStyle("note", parent=base, fontSize=7.5, textColor="#444444"),
        "cover": ParagraphStyle("cover", parent=base, fontSize=22, leading=30, alignment=1),
        "cover_sub": ParagraphStyle("cover_sub", parent=base, fontSize=13, leading=20, alignment=1),
    }


def _escape(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text).replace("\n", "<br/>")


def pdf_bytes(
    sections: Sequence[Section],
    *,
    title: str,
    period_label: str,
    as_of: dt.date,
    made_by: str = "",
    progress=None,
) -> bytes:
    """The whole pack; `progress(done, total)` is called after each section."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    from gigaportal.dates import date_text

    register_font()
    styles = _styles()
    as_of_text = _("As of %(date)s") % {"date": date_text(as_of)}
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=made_by,
        subject=period_label,
    )
    width = document.width

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillColor("#555555")
        canvas.drawString(15 * mm, 10 * mm, f"{title}  {period_label}")
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"{as_of_text}  {doc.page}")
        canvas.restoreState()

    story = [
        Spacer(1, 70 * mm),
        Paragraph(_escape(title), styles["cover"]),
        Spacer(1, 10 * mm),
        Paragraph(_escape(period_label), styles["cover_sub"]),
        Spacer(1, 6 * mm),
        Paragraph(_escape(as_of_text), styles["cover_sub"]),
    ]
    if made_by:
        story += [Spacer(1, 4 * mm), Paragraph(_escape(made_by), styles["cover_sub"])]
    story += [Spacer(1, 20 * mm), _contents(sections, styles, width)]
    for done, section in enumerate(sections, start=1):
        story.append(PageBreak())
        story += _section(section, styles, width)
        if progress:
            progress(done, len(sections))
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _contents(sections, styles, width):
    from reportlab.platypus import Paragraph, Table, TableStyle

    rows = [
        [
            Paragraph(_escape(force_str(s.number)), styles["cell"]),
            Paragraph(_escape(force_str(s.heading)), styles["cell"]),
        ]
        for s in sections
    ]
    table = Table(rows, colWidths=[25 * 2.835, width - 25 * 2.835 - 40])
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.3, "#cccccc")]))
    return table


def _section(section: Section, styles, width) -> list:
    from reportlab.platypus import KeepTogether, Paragraph, Spacer

    report = section.report
    flow = [Paragraph(_escape(section.title), styles["h1"])]
    if report.period is not None or report.scope:
        scope = " / ".join(filter(None, [force_str(report.period or ""), force_str(report.scope)]))
        flow.append(Paragraph(_escape(scope), styles["note"]))
        flow.append(Spacer(1, 4))
    if report.rows or report.footer:
        flow.append(_table(section, styles, width))
    else:
        flow.append(Paragraph(_escape(_("No records for this period.")), styles["cell"]))
    for note in report.notes:
        flow.append(Paragraph(_escape(force_str(note)), styles["note"]))
    for chart_title, indexes in chart_groups(section):
        flow.append(Spacer(1, 8))
        flow.append(KeepTogether([_drawing(section, chart_title, indexes, width)]))
    return flow


def _table(section: Section, styles, width):
    from reportlab.platypus import Paragraph, Table, TableStyle

    report = section.report
    columns = [c for c in report.columns if c.on_page]
    indexes = [report.keys.index(c.key) for c in columns]
    header = [Paragraph(_escape(force_str(c.label)), styles["head"]) for c in columns]
    body = []
    for row in (*report.rows, *report.footer):
        cells = []
        for column, index in zip(columns, indexes, strict=True):
            text = section.text(column.key, row[index])
            if section.tree and column is columns[1] and "depth" in report.keys:
                depth = int(row[report.keys.index("depth")] or 1)
                text = "　" * (depth - 1) + ("└ " if depth > 1 else "") + text
            style = styles["number"] if column.numeric else styles["cell"]
            cells.append(Paragraph(_escape(text), style))
        body.append(cells)
    widths = _column_widths(section, columns, indexes, width)
    table = Table([header, *body], colWidths=widths, repeatRows=1)
    commands = [
        ("BACKGROUND", (0, 0), (-1, 0), "#34495e"),
        ("GRID", (0, 0), (-1, -1), 0.3, "#999999"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ROWBACKGROUNDS", (0, 1), (-1, len(report.rows)), ["#ffffff", "#f3f6f9"]),
    ]
    if report.footer:
        commands.append(("BACKGROUND", (0, len(report.rows) + 1), (-1, -1), "#e8eef3"))
    table.setStyle(TableStyle(commands))
    return table


# At 8 pt, a half-width character is about 4.3 pt wide; a cell has 6 pt of padding on
# each side.
UNIT, PADDING, SHORT = 4.3, 13, 90
# A long text column's share of the page stops growing past this many characters.
LONGEST = 40


def _column_widths(section, columns, indexes, width) -> list[float]:
    """Short columns (numbers, groups, dates) get what they need, so they never wrap a
    number digit by digit; the long text columns share the rest and wrap (CJK)."""
    rows = (*section.report.rows, *section.report.footer)
    natural = []
    for column, index in zip(columns, indexes, strict=True):
        cells = [section.text(column.key, r[index]) for r in rows[:300]]
        longest = max(
            [_display_width(word) for word in force_str(column.label).split()]
            + [_display_width(line) for cell in cells for line in cell.split("\n")]
            + [4]
        )
        natural.append(min(longest, LONGEST * 2) * UNIT + PADDING)
    if sum(natural) <= width:
        return [width * n / sum(natural) for n in natural]
    short = [n <= SHORT for n in natural]
    fixed = sum(n for n, is_short in zip(natural, short, strict=True) if is_short)
    if fixed >= width or all(short):
        return [width * n / sum(natural) for n in natural]
    wide = sum(n for n, is_short in zip(natural, short, strict=True) if not is_short)
    return [
        n if is_short else (width - fixed) * n / wide
        for n, is_short in zip(natural, short, strict=True)
    ]


def _drawing(section: Section, title: str, indexes: list[int], width):
    """The chart as ReportLab graphics (vector): bars or lines of the section's rows."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing, String

    chart = section.chart
    report = section.report
    keys = report.keys
    rows = [report.rows[i] for i in indexes]
    categories = [section.text(chart.category, r[keys.index(chart.category)]) for r in rows]
    series = [[number(r[keys.index(key)]) for r in rows] for key in chart.series]
    labels = {c.key: force_str(c.label) for c in report.columns}
    height = 190 if chart.kind != "stacked" else 40 + 16 * len(rows)
    drawing = Drawing(width, height + 30)
    drawing.add(String(0, height + 16, title[:80], fontName=FONT, fontSize=9))
    if chart.kind == "stacked":
        plot = HorizontalBarChart()
        plot.categoryAxis.reverseDirection = True
        plot.categoryAxis.style = "stacked"
        plot.valueAxis.valueMin, plot.valueAxis.valueMax, plot.valueAxis.valueStep = 0, 100, 20
    elif chart.kind == "line":
        plot = HorizontalLineChart()
    else:
        plot = VerticalBarChart()
        plot.valueAxis.valueMin = 0
    plot.x, plot.y = 60, 30
    plot.width, plot.height = width - 200, height - 40
    plot.data = series
    plot.categoryAxis.categoryNames = categories
    for axis in (plot.categoryAxis, plot.valueAxis):
        axis.labels.fontName = FONT
        axis.labels.fontSize = 7
    if chart.kind != "stacked" and len(categories) > 6:
        plot.categoryAxis.labels.angle = 30
        plot.categoryAxis.labels.boxAnchor = "ne"
    for n in range(len(series)):
        color = _color(n)
        if chart.kind == "line":
            plot.lines[n].strokeColor = color
            plot.lines[n].strokeWidth = 1.5
        else:
            plot.bars[n].fillColor = color
            plot.bars[n].strokeColor = None
    drawing.add(plot)
    names = [labels[key] for key in chart.series]
    if chart.secondary:
        names.append(labels[chart.secondary])
        drawing.add(_secondary_line(section, rows, plot, len(series)))
    legend = Legend()
    legend.x, legend.y = width - 130, height - 10
    legend.fontName, legend.fontSize = FONT, 7
    legend.alignment = "right"
    legend.colorNamePairs = [(_color(n), name[:24]) for n, name in enumerate(names)]
    drawing.add(legend)
    return drawing


def _secondary_line(section, rows, plot, offset):
    """A percentage drawn over the bars against its own scale (0–100 %, right axis)."""
    from reportlab.graphics.shapes import Group, Line, PolyLine, String

    key = section.chart.secondary
    index = section.report.keys.index(key)
    values = [number(r[index]) for r in rows]
    group = Group()
    step = plot.width / max(len(values), 1)
    points = []
    for n, value in enumerate(values):
        x = plot.x + step * (n + 0.5)
        y = plot.y + plot.height * min(value, 100) / 100
        points += [x, y]
        group.add(
            String(
                x,
                y + 4,
                section.text(key, value if value % 1 else int(value)),
                fontName=FONT,
                fontSize=6.5,
                textAnchor="middle",
            )
        )
    group.add(PolyLine(points, strokeColor=_color(offset), strokeWidth=1.5))
    right = plot.x + plot.width
    group.add(
        Line(right, plot.y, right, plot.y + plot.height, strokeColor="#666666", strokeWidth=0.5)
    )
    for percent in (0, 50, 100):
        y = plot.y + plot.height * percent / 100
        group.add(String(right + 4, y - 2, f"{percent}%", fontName=FONT, fontSize=6.5))
    return group


def _color(n: int):
    from reportlab.lib.colors import HexColor

    return HexColor(PALETTE[n % len(PALETTE)])
