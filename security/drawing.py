"""An organisation chart as a vector image (SVG) for the committee pack, drawn from
the same rows as the chart's page and table: each box under its parent, indented by
depth, joined by elbow connectors. Plain string building over plain values, no ORM
and no JavaScript; every text is XML-escaped."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

FONT = "'Noto Sans CJK JP', 'IPAexGothic', 'Hiragino Sans', 'Yu Gothic', Meiryo, sans-serif"
TITLE_SIZE = 16
HEAD_SIZE = 14
TEXT_SIZE = 12
INDENT = 28
GAP = 12
PAD = 8
MARGIN = 16
MAX_BOX_WIDTH = 460
MIN_BOX_WIDTH = 140


@dataclass(frozen=True)
class Box:
    depth: int  # 1 at the top
    title: str
    lines: tuple[str, ...] = ()


def text_width(text: str, size: float) -> float:
    """About how wide a text is drawn: full-width characters take a whole em."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def wrap(text: str, size: float, width: float) -> list[str]:
    """Lines no wider than `width` (Japanese breaks between any two characters)."""
    result, current, used = [], "", 0.0
    for ch in text:
        w = text_width(ch, size)
        if current and used + w > width:
            result.append(current)
            current, used = "", 0.0
        current += ch
        used += w
    if current or not result:
        result.append(current)
    return result


@dataclass(frozen=True)
class _Placed:
    box: Box
    x: float
    y: float
    width: float
    height: float
    head: tuple[str, ...]
    body: tuple[str, ...]


def _layout(boxes: Sequence[Box], top: float) -> list[_Placed]:
    placed = []
    y = top
    inner = MAX_BOX_WIDTH - 2 * PAD
    for box in boxes:
        head = tuple(wrap(box.title, HEAD_SIZE, inner))
        body = tuple(line for text in box.lines for line in wrap(text, TEXT_SIZE, inner))
        natural = max(
            [text_width(t, HEAD_SIZE) for t in head] + [text_width(t, TEXT_SIZE) for t in body]
        )
        width = min(max(natural + 2 * PAD, MIN_BOX_WIDTH), MAX_BOX_WIDTH)
        height = 2 * PAD + len(head) * (HEAD_SIZE + 4) + len(body) * (TEXT_SIZE + 4)
        x = MARGIN + (box.depth - 1) * INDENT
        placed.append(_Placed(box, x, y, width, height, head, body))
        y += height + GAP
    return placed


def orgchart_svg(boxes: Sequence[Box], *, title: str = "", description: str = "") -> str:
    """The chart as an SVG document (UTF-8 text)."""
    top = MARGIN + (TITLE_SIZE + 12 if title else 0)
    placed = _layout(boxes, top)
    width = max([p.x + p.width for p in placed] + [MARGIN + text_width(title, TITLE_SIZE)]) + MARGIN
    height = (placed[-1].y + placed[-1].height if placed else top) + MARGIN
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'role="img" font-family={quoteattr(FONT)}>',
        f"<title>{escape(title)}</title>",
    ]
    if description:
        parts.append(f"<desc>{escape(description)}</desc>")
    parts.append(f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>')
    if title:
        parts.append(
            f'<text x="{MARGIN}" y="{MARGIN + TITLE_SIZE}" font-size="{TITLE_SIZE}" '
            f'font-weight="bold" fill="#212529">{escape(title)}</text>'
        )
    # Connectors first, so the boxes are drawn over their ends.
    parents: list[_Placed] = []
    for item in placed:
        while parents and parents[-1].box.depth >= item.box.depth:
            parents.pop()
        if parents:
            parent = parents[-1]
            x0 = parent.x + INDENT / 2
            y_mid = item.y + min(item.height / 2, PAD + HEAD_SIZE / 2 + 2)
            parts.append(
                f'<path d="M{x0:.1f},{parent.y + parent.height:.1f} V{y_mid:.1f} H{item.x:.1f}" '
                'fill="none" stroke="#6c757d" stroke-width="1.2"/>'
            )
        parents.append(item)
    for item in placed:
        parts.append(
            f'<rect x="{item.x:.1f}" y="{item.y:.1f}" width="{item.width:.1f}" '
            f'height="{item.height:.1f}" rx="4" fill="#ffffff" stroke="#0d6efd" stroke-width="1.5"/>'
        )
        y = item.y + PAD
        for line in item.head:
            y += HEAD_SIZE
            parts.append(
                f'<text x="{item.x + PAD:.1f}" y="{y:.1f}" font-size="{HEAD_SIZE}" '
                f'font-weight="bold" fill="#212529">{escape(line)}</text>'
            )
            y += 4
        for line in item.body:
            y += TEXT_SIZE
            parts.append(
                f'<text x="{item.x + PAD:.1f}" y="{y:.1f}" font-size="{TEXT_SIZE}" '
                f'fill="#495057">{escape(line)}</text>'
            )
            y += 4
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
