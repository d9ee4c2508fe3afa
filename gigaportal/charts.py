"""Charts with Japanese labels, drawn with matplotlib's object API (never pyplot's
global state, which is not thread-safe in a web server) from the same report rows a
table shows. PNG bytes are cached by their inputs.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib_fontja  # noqa: E402,F401  (registers IPAexGothic for Japanese labels)
from django.core.cache import cache  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

FONT_FAMILY = "IPAexGothic"
BAR_COLOR = "#4e79a7"
LINE_COLOR = "#e15759"
PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1"]
CACHE_SECONDS = 60 * 60


def new_figure(width: float = 8, height: float = 4) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return figure


def _style(ax) -> None:
    for label in (*ax.get_xticklabels(), *ax.get_yticklabels()):
        label.set_fontfamily(FONT_FAMILY)
    ax.title.set_fontfamily(FONT_FAMILY)
    ax.xaxis.label.set_fontfamily(FONT_FAMILY)
    ax.yaxis.label.set_fontfamily(FONT_FAMILY)
    ax.spines["top"].set_visible(False)


def _thousands(ax, axis: str = "y") -> None:
    """Axis numbers as 68,216, not 68216."""
    from matplotlib.ticker import FuncFormatter

    formatter = FuncFormatter(lambda value, _pos: f"{value:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def _counts_axis(ax, values: Sequence[float], *, percent: bool = False) -> None:
    """An axis for counts: from zero, whole numbers, and room above a flat series (a
    stock of 21 all year is drawn near the top of 0–25, not on a 20.0–22.0 scale)."""
    from matplotlib.ticker import MaxNLocator

    if percent:
        ax.set_ylim(0, 100)
        return
    top = max((float(v) for v in values if v is not None), default=0)
    ax.set_ylim(0, top * 1.15 if top > 0 else 1)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True, min_n_ticks=2))
    _thousands(ax)


def _legend_below(figure, handles, names) -> None:
    """The legend under the plot, so that it never covers a bar or a line."""
    if not handles:
        return
    legend = figure.legend(
        handles,
        names,
        loc="outside lower center",
        ncol=min(len(handles), 4),
        prop={"family": FONT_FAMILY},
    )
    legend.set_frame_on(False)


def bar_line_chart(
    *,
    title: str,
    labels: Sequence[str],
    bars: Sequence[float],
    bar_label: str,
    line: Sequence[float] | None = None,
    line_label: str = "",
    line_is_percent: bool = False,
) -> Figure:
    """Bars on the left axis and, optionally, a line on the right axis: incidents and
    spares remaining, or GB used and the usage rate."""
    figure = new_figure(8, 4.4)
    ax = figure.add_subplot()
    positions = range(len(labels))
    ax.bar(positions, bars, color=BAR_COLOR, label=bar_label)
    ax.set_xticks(list(positions), labels)
    ax.set_ylabel(bar_label)
    ax.set_title(title)
    _counts_axis(ax, bars)
    handles, names = ax.get_legend_handles_labels()
    if line is not None:
        ax2 = ax.twinx()
        ax2.plot(list(positions), line, color=LINE_COLOR, marker="o", label=line_label)
        ax2.set_ylabel(line_label)
        _counts_axis(ax2, line, percent=line_is_percent)
        _style(ax2)
        h2, n2 = ax2.get_legend_handles_labels()
        handles, names = handles + h2, names + n2
    _legend_below(figure, handles, names)
    _style(ax)
    return figure


def grouped_bar_chart(
    *, title: str, groups: Sequence[str], series: dict[str, Sequence[float]], ylabel: str = ""
) -> Figure:
    """Bars side by side for each group: e.g. terms as groups, support kinds as series."""
    figure = new_figure(8, 4.4)
    ax = figure.add_subplot()
    count = max(len(series), 1)
    width = 0.8 / count
    for index, (name, values) in enumerate(series.items()):
        offsets = [g + (index - (count - 1) / 2) * width for g in range(len(groups))]
        bars = ax.bar(offsets, values, width, label=name, color=PALETTE[index % len(PALETTE)])
        ax.bar_label(bars, fontsize=8, fmt="{:,.0f}")
    ax.set_xticks(list(range(len(groups))), groups)
    _counts_axis(ax, [v for values in series.values() for v in values])
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    handles, names = ax.get_legend_handles_labels()
    _legend_below(figure, handles, names)
    _style(ax)
    return figure


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def cached_png(key_parts: object, build: Callable[[], Figure]) -> bytes:
    """PNG for a chart, cached under a hash of its inputs (JSON-serialisable parts:
    pass the report rows themselves, so new data means a new key)."""
    digest = hashlib.sha256(json.dumps(key_parts, default=str, sort_keys=True).encode()).hexdigest()
    key = f"chart:{digest}"
    data = cache.get(key)
    if data is None:
        data = png_bytes(build())
        cache.set(key, data, CACHE_SECONDS)
    return data


def png_response(data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response


def warm_up() -> bytes:
    """Draws a small chart with Japanese labels once, so that a fresh process has
    matplotlib, its font list and IPAexGothic loaded before its first real chart (a
    gunicorn worker calls it as it starts: gunicorn.conf.py). Returns the PNG."""
    figure = new_figure(2, 1.5)
    ax = figure.add_subplot()
    ax.bar(["4月", "5月"], [1, 2], color=BAR_COLOR)
    ax.set_title("月別")
    _style(ax)
    return png_bytes(figure)
