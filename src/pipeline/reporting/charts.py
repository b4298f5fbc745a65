"""Small inline SVG charts: the reports page must open from disk, with no script or network."""

from __future__ import annotations

import math
from html import escape

WIDTH, HEIGHT = 420, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 34, 44
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
MAX_POINTS = 300  # a curve with thousands of points draws the same and weighs far more


def _thin(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if len(points) <= MAX_POINTS:
        return points
    step = len(points) / MAX_POINTS
    kept = [points[int(index * step)] for index in range(MAX_POINTS)]
    return [*kept, points[-1]]


def line_chart(
    title: str,
    series: dict[str, list[tuple[float, float]]],
    x_label: str,
    y_label: str,
) -> str:
    """Lines on a fixed 0..1 square (rates, probabilities), one per named series."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def at(x: float, y: float) -> str:
        x = min(max(x, 0.0), 1.0)
        y = min(max(y, 0.0), 1.0)
        return f"{LEFT + x * plot_w:.1f},{TOP + (1 - y) * plot_h:.1f}"

    parts = [_frame(title, x_label, y_label)]
    for tick in (0, 0.25, 0.5, 0.75, 1):
        x, y = LEFT + tick * plot_w, TOP + (1 - tick) * plot_h
        parts.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 14}" class="tick">{tick:g}</text>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="tick end">{tick:g}</text>')
    for index, (name, points) in enumerate(series.items()):
        color = COLORS[index % len(COLORS)]
        path = " ".join(at(x, y) for x, y in _thin(points))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{path}"/>')
        parts.append(_legend(index, name, color))
    return _svg(title, parts)


def scatter_chart(
    title: str,
    series: dict[str, list[tuple[float, float]]],
    x_label: str,
    y_label: str,
    max_points: int = 600,
    guide: str | None = None,
) -> str:
    """Points on axes scaled to the data, one colour per named series (regression plots).

    `guide` draws where a perfect model's points would lie: "diagonal" (y = x) or "zero"
    (y = 0).
    """
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    every = [point for points in series.values() for point in points] or [(0.0, 0.0)]
    x_min, x_max = min(x for x, _ in every), max(x for x, _ in every)
    y_min, y_max = min(y for _, y in every), max(y for _, y in every)
    x_span, y_span = (x_max - x_min) or 1.0, (y_max - y_min) or 1.0

    def at(x: float, y: float) -> tuple[float, float]:
        return LEFT + (x - x_min) / x_span * plot_w, TOP + (1 - (y - y_min) / y_span) * plot_h

    parts = [_frame(title, x_label, y_label)]
    for step in range(5):
        x_value, y_value = x_min + step / 4 * x_span, y_min + step / 4 * y_span
        x, _ = at(x_value, y_min)
        _, y = at(x_min, y_value)
        parts.append(
            f'<text x="{x:.1f}" y="{TOP + plot_h + 14}" class="tick">{_tick(x_value)}</text>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="tick end">{_tick(y_value)}</text>'
        )
    ends = {
        "diagonal": [(max(x_min, y_min), max(x_min, y_min)), (min(x_max, y_max),) * 2],
        "zero": [(x_min, 0.0), (x_max, 0.0)],
    }.get(guide or "")
    if ends and all(y_min <= y <= y_max for _, y in ends):
        (x1, y1), (x2, y2) = (at(*end) for end in ends)
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#555" '
            'stroke-dasharray="4 3"/>'
        )
    for index, (name, points) in enumerate(series.items()):
        color = COLORS[index % len(COLORS)]
        step = max(1, len(points) // max_points)
        dots = "".join(
            '<circle cx="{:.1f}" cy="{:.1f}" r="1.8"/>'.format(*at(x, y)) for x, y in points[::step]
        )
        parts.append(f'<g fill="{color}" fill-opacity="0.5">{dots}</g>')
        parts.append(_legend(index, name, color))
    return _svg(title, parts)


def curves_chart(
    title: str,
    curves: list[list[tuple[float, float]]],
    average: list[tuple[float, float]],
    x_label: str,
    y_label: str,
) -> str:
    """Thin grey individual curves under a bold average (partial dependence), on axes
    scaled to the data."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    every = [point for curve in [average, *curves] for point in curve] or [(0.0, 0.0)]
    x_min, x_max = min(x for x, _ in every), max(x for x, _ in every)
    y_min, y_max = min(y for _, y in every), max(y for _, y in every)
    x_span, y_span = (x_max - x_min) or 1.0, (y_max - y_min) or 1.0

    def at(x: float, y: float) -> str:
        return (
            f"{LEFT + (x - x_min) / x_span * plot_w:.1f},"
            f"{TOP + (1 - (y - y_min) / y_span) * plot_h:.1f}"
        )

    parts = [_frame(title, x_label, y_label)]
    for step in range(5):
        x_value, y_value = x_min + step / 4 * x_span, y_min + step / 4 * y_span
        x = LEFT + step / 4 * plot_w
        y = TOP + (1 - step / 4) * plot_h
        parts.append(
            f'<text x="{x:.1f}" y="{TOP + plot_h + 14}" class="tick">{_tick(x_value)}</text>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="tick end">{_tick(y_value)}</text>'
        )
    lines = "".join(
        f'<polyline points="{" ".join(at(x, y) for x, y in curve)}"/>' for curve in curves
    )
    parts.append(f'<g fill="none" stroke="#888" stroke-opacity="0.3">{lines}</g>')
    path = " ".join(at(x, y) for x, y in average)
    parts.append(f'<polyline fill="none" stroke="{COLORS[0]}" stroke-width="3" points="{path}"/>')
    parts.append(_legend(0, "average", COLORS[0]))
    parts.append(_legend(1, f"{len(curves)} individual rows", "#888"))
    return _svg(title, parts)


def _legend(index: int, name: str, color: str) -> str:
    """The series' colour and name, stacked in the plot's top-left corner."""
    y = TOP + 14 + 16 * index
    return (
        f'<rect x="{LEFT + 10}" y="{y - 9}" width="10" height="10" fill="{color}"/>'
        f'<text x="{LEFT + 26}" y="{y}">{escape(name)}</text>'
    )


def _tick(value: float) -> str:
    """A short axis label: 1234 rather than 1.23e+03."""
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def bar_chart(title: str, bars: list[tuple[str, float]], x_label: str) -> str:
    """Horizontal bars, largest first, scaled to the largest absolute value."""
    bars = sorted(bars, key=lambda bar: bar[1], reverse=True)
    row = 18
    height = TOP + row * len(bars) + BOTTOM
    label_w = 110
    plot_w = WIDTH - label_w - RIGHT
    top = max((abs(value) for _, value in bars), default=0) or 1.0
    parts = [
        f'<text x="{WIDTH / 2}" y="18" class="title">{escape(title)}</text>',
        f'<text x="{label_w + plot_w / 2}" y="{height - 10}" class="label">'
        f"{escape(x_label)}</text>",
    ]
    for index, (name, value) in enumerate(bars):
        y = TOP + index * row
        width = max(abs(value) / top * plot_w, 1)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 12}" class="end">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{width:.1f}" height="{row - 5}" '
            f'fill="{COLORS[0]}"><title>{escape(name)}: {value:.4f}</title></rect>'
        )
    return _svg(title, parts, height)


def _frame(title: str, x_label: str, y_label: str) -> str:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    return (
        f'<text x="{WIDTH / 2}" y="18" class="title">{escape(title)}</text>'
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" class="area"/>'
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 8}" class="label">{escape(x_label)}</text>'
        f'<text transform="translate(14,{TOP + plot_h / 2}) rotate(-90)" class="label">'
        f"{escape(y_label)}</text>"
    )


def _svg(title: str, parts: list[str], height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">'
        + "".join(parts)
        + "</svg>"
    )


def batch_chart(
    title: str,
    batches: list[str],
    series: dict[str, list[float | None]],
    y_label: str,
    *,
    intervals: list[tuple[float, float] | None] | None = None,
    links: list[str] | None = None,
    y_range: tuple[float, float] | None = None,
    zero_line: bool = False,
) -> str:
    """Values over batches, in order: one line of points per named series, on an axis scaled
    to the values (`y_range` fixes it). A missing value breaks its line. `intervals` draws a
    whisker (low..high) at each point of the first series; `links` makes each batch's points
    a link (that batch's reports); `zero_line` a dashed line at 0 (no difference)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    values = [v for points in series.values() for v in points if v is not None]
    values += [end for pair in intervals or [] if pair for end in pair]
    values += [0.0] if zero_line else []
    low, high = y_range or (min(values, default=0.0), max(values, default=1.0))
    if not y_range:  # room around the data, so no point sits on the frame
        pad = (high - low) * 0.04 or abs(high) * 0.05 or 0.05
        low, high = low - pad, high + pad
    low, high, tick_step = _nice_axis(low, high)
    span = high - low
    step = plot_w / max(len(batches), 1)

    def x_of(index: int) -> float:
        return LEFT + step * (index + 0.5)

    def y_of(value: float) -> float:
        return TOP + (1 - (min(max(value, low), high) - low) / span) * plot_h

    parts = [_frame(title, "batch", y_label)]
    for tick in range(round(span / tick_step) + 1):
        value = round(low + tick * tick_step, 12) + 0.0  # no -0 and no 0.30000000000000004
        parts.append(
            f'<text x="{LEFT - 6}" y="{y_of(value) + 4:.1f}" class="tick end">{_tick(value)}</text>'
        )
    every = max(1, -(-len(batches) // 8))  # at most 8 labels, so they never overlap
    for index, batch in enumerate(batches):
        if index % every == 0 or index == len(batches) - 1:
            parts.append(
                f'<text x="{x_of(index):.1f}" y="{TOP + plot_h + 14}" class="tick">'
                f"{escape(batch)}</text>"
            )
    if zero_line and low <= 0 <= high:
        parts.append(
            f'<line x1="{LEFT}" y1="{y_of(0):.1f}" x2="{LEFT + plot_w}" y2="{y_of(0):.1f}" '
            'stroke="#555" stroke-dasharray="4 3"/>'
        )
    for index, (name, points) in enumerate(series.items()):
        color = COLORS[index % len(COLORS)]
        runs: list[list[str]] = [[]]
        for at, value in enumerate(points):
            if value is None:
                runs.append([])
            else:
                runs[-1].append(f"{x_of(at):.1f},{y_of(value):.1f}")
        parts += [
            f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(run)}"/>'
            for run in runs
            if len(run) > 1
        ]
        for at, value in enumerate(points):
            if value is None:
                continue
            mark = ""
            whisker = intervals[at] if intervals and index == 0 and at < len(intervals) else None
            if whisker:
                x, (top, bottom) = x_of(at), (y_of(whisker[1]), y_of(whisker[0]))
                mark += (
                    f'<path d="M{x:.1f},{top:.1f}V{bottom:.1f}M{x - 4:.1f},{top:.1f}h8'
                    f'M{x - 4:.1f},{bottom:.1f}h8" stroke="{color}" fill="none"/>'
                )
            tip = f"{batches[at]}, {name}: {_tick(value)}"
            if whisker:
                tip += f" ({_tick(whisker[0])}..{_tick(whisker[1])})"
            mark += (
                f'<circle cx="{x_of(at):.1f}" cy="{y_of(value):.1f}" r="3.5" fill="{color}">'
                f"<title>{escape(tip)}</title></circle>"
            )
            if links and at < len(links) and links[at]:
                mark = f'<a href="{escape(links[at])}">{mark}</a>'
            parts.append(mark)
        parts.append(_legend(index, name, color))
    return _svg(title, parts)


def _nice_axis(low: float, high: float, ticks: int = 4) -> tuple[float, float, float]:
    """`low..high` widened to round ticks (a step of 1, 2, 2.5 or 5 times a power of ten):
    the axis, and its step."""
    span = (high - low) or abs(high) or 1.0
    power = 10 ** math.floor(math.log10(span / ticks))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= span / ticks)
    bottom, top = math.floor(low / step + 1e-9) * step, math.ceil(high / step - 1e-9) * step
    return bottom, max(top, bottom + step), step
