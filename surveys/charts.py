"""Survey charts, drawn with matplotlib's object API (gigaportal.charts: Japanese
fonts, no pyplot state) from the rows a report table shows.

- `diverging_chart`: one bar per group for an answer scale: negative answers left of
  zero, positive ones right, a neutral answer centred on zero; n beside every bar.
- `percent_bars`: a choice question's percents by option, one colour per group.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure

from gigaportal.charts import FONT_FAMILY, PALETTE, new_figure

POSITIVE = ["#9ecae1", "#4292c6", "#08519c", "#08306b"]  # weak → strong
NEGATIVE = ["#fdae6b", "#f16913", "#d94801", "#8c2d04"]
NEUTRAL = "#bdbdbd"
FONT = {"family": FONT_FAMILY}


def _wrap(text: str, width: int = 18) -> str:
    """Long Japanese labels on several lines (no spaces to break at)."""
    return "\n".join(text[i : i + width] for i in range(0, len(text), width)) or " "


def _finish(figure: Figure, ax, title: str) -> None:
    ax.set_title(_wrap(title, 40), fontdict=FONT, fontsize=11)
    for label in (*ax.get_xticklabels(), *ax.get_yticklabels()):
        label.set_fontfamily(FONT_FAMILY)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _legend(figure: Figure, handles, labels) -> None:
    if handles:
        legend = figure.legend(
            handles,
            labels,
            loc="outside lower center",
            ncol=min(len(handles), 4),
            prop={**FONT, "size": 8},
        )
        legend.set_frame_on(False)


def diverging_chart(
    *,
    title: str,
    bars: Sequence[tuple[str, int, Sequence[tuple[str, float, int]]]],
    suffix: str = "n",
) -> Figure:
    """`bars`: (group label, n, [(answer, percent, polarity) in the scale's order,
    positive first]). Negative answers stack leftwards from zero, the mildest nearest;
    positive ones rightwards; a neutral answer straddles zero."""
    height = 1.6 + 0.55 * max(len(bars), 1)
    figure = new_figure(8, height)
    ax = figure.add_subplot()
    answers = [(name, polarity) for name, _pct, polarity in (bars[0][2] if bars else [])]
    positives = [name for name, polarity in answers if polarity == 1]
    negatives = [name for name, polarity in answers if polarity == -1]
    colours = {}
    for index, name in enumerate(reversed(positives)):
        colours[name] = POSITIVE[min(index, len(POSITIVE) - 1)]
    for index, name in enumerate(negatives):
        colours[name] = NEGATIVE[min(index, len(NEGATIVE) - 1)]
    drawn: dict[str, object] = {}
    limit = 0.0
    labels = []
    for row, (label, n, parts) in enumerate(reversed(bars)):
        share = {name: pct for name, pct, _p in parts}
        neutral = sum(pct for name, pct, polarity in parts if polarity == 0)
        left = -neutral / 2
        for name, pct, polarity in parts:
            if polarity == 0 and pct:
                drawn[name] = ax.barh(row, pct, left=left, color=NEUTRAL, height=0.6)
        # Positive: mildest first from the right of the neutral half.
        start = neutral / 2
        for name in reversed(positives):
            width = share.get(name, 0.0)
            if width:
                drawn[name] = ax.barh(row, width, left=start, color=colours[name], height=0.6)
            start += width
        end = -neutral / 2
        for name in negatives:
            width = share.get(name, 0.0)
            if width:
                drawn[name] = ax.barh(row, -width, left=end, color=colours[name], height=0.6)
            end -= width
        limit = max(limit, start, -end)
        ax.text(start + 1, row, f"{suffix}={n:,}", va="center", fontsize=8, fontfamily=FONT_FAMILY)
        labels.append(_wrap(label, 14))
    limit = max(limit + 12, 50)
    ax.set_xlim(-limit, limit)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(list(range(len(labels))), labels)
    ax.xaxis.set_major_formatter(lambda value, _pos: f"{abs(value):.0f}%")
    order = [name for name, _p in answers if name in drawn]
    _legend(figure, [drawn[name] for name in order], order)
    _finish(figure, ax, title)
    return figure


def percent_bars(
    *,
    title: str,
    options: Sequence[str],
    series: Sequence[tuple[str, int, Sequence[float]]],
    suffix: str = "n",
) -> Figure:
    """Horizontal bars of percents: options down, one bar per group (its n in the
    legend)."""
    count = max(len(series), 1)
    height = 1.6 + max(len(options), 1) * (0.25 + 0.18 * count)
    figure = new_figure(8, min(height, 14))
    ax = figure.add_subplot()
    thickness = 0.8 / count
    positions = list(range(len(options)))
    handles, names = [], []
    top = 0.0
    for index, (label, n, values) in enumerate(series):
        # The first series on top within each answer.
        offsets = [
            len(options) - 1 - p - 0.4 + thickness * (count - index - 0.5) for p in positions
        ]
        bars = ax.barh(offsets, values, height=thickness, color=PALETTE[index % len(PALETTE)])
        ax.bar_label(bars, labels=[f"{v:.1f}%" if v else "" for v in values], fontsize=7, padding=2)
        handles.append(bars)
        names.append(f"{label}（{suffix}={n:,}）")
        top = max([top, *values])
    ax.set_yticks([len(options) - 1 - p for p in positions], [_wrap(o) for o in options])
    ax.set_xlim(0, max(top * 1.2, 10))
    ax.xaxis.set_major_formatter(lambda value, _pos: f"{value:.0f}%")
    _legend(figure, handles, names)
    _finish(figure, ax, title)
    return figure
