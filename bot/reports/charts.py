"""Charts as server-rendered SVG: no script and no CDN, so they show offline and on paper.

Dark strokes on white with the values written out, because a printed page is often grey.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape

WIDTH, HEIGHT, LEFT, BOTTOM, TOP, RIGHT = 720, 240, 48, 28, 16, 12
INK, FILL, GRID = "#1f3b57", "#5b8db8", "#d0d7de"


def bars_per_day(title: str, days: Sequence[date], values: Sequence[int]) -> str:
    """Vertical bars, one per day (a year is drawn as thin bars), labelled at sensible dates."""
    top = max(values, default=0) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(days), 1)
    parts = _frame(title, top, lambda v: f"{v:g}")
    for i, value in enumerate(values):
        h = plot_h * value / top
        parts.append(f'<rect x="{LEFT + i * step + step * 0.1:.1f}" y="{TOP + plot_h - h:.1f}" '
                     f'width="{max(step * 0.8, 0.6):.1f}" height="{h:.1f}" fill="{FILL}" stroke="{INK}" stroke-width="0.3">'
                     f'<title>{days[i]:%d/%m/%Y}: {value}</title></rect>')
    parts += _day_labels(days, step)
    return _svg(title, parts)


def line_per_day(title: str, days: Sequence[date], values: Sequence[float | None], percent: bool = False,
                 missing_note: str = "") -> str:
    """A line over days; a day without a value breaks the line (shown as missing, never as zero)."""
    known = [v for v in values if v is not None]
    top = 1.0 if percent else (max(known, default=0) or 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(days), 1)
    parts = _frame(title, top, (lambda v: f"{v * 100:.0f}%") if percent else (lambda v: f"{v:g}"))
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, value in enumerate(values):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{LEFT + (i + 0.5) * step:.1f},{TOP + plot_h - plot_h * value / top:.1f}")
    if segment:
        segments.append(segment)
    for points in segments:
        if len(points) == 1:
            x, y = points[0].split(",")
            parts.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="{INK}"/>')
        else:
            parts.append(f'<polyline fill="none" stroke="{INK}" stroke-width="2" points="{" ".join(points)}"/>')
    missing = sum(v is None for v in values)
    if missing and missing_note:
        parts.append(f'<text x="{WIDTH - RIGHT}" y="{TOP + 10}" text-anchor="end" font-size="11" fill="#555">'
                     f'{escape(missing_note.format(n=missing))}</text>')
    parts += _day_labels(days, step)
    return _svg(title, parts)


def hbars(title: str, labels: Sequence[str], shares: Sequence[float | None]) -> str:
    """One horizontal bar per label with its share written beside it ("—" when there is none)."""
    row, label_w = 24, 190
    height = TOP + row * max(len(labels), 1) + 8
    plot_w = WIDTH - label_w - 60
    parts = []
    for i, (label, share) in enumerate(zip(labels, shares)):
        y = TOP + i * row
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12" fill="#111">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{plot_w}" height="14" fill="none" stroke="{GRID}"/>')
        if share is not None:
            parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{plot_w * share:.1f}" height="14" fill="{FILL}" stroke="{INK}" stroke-width="0.5"/>')
        text = f"{share * 100:.0f}%" if share is not None else "—"
        parts.append(f'<text x="{label_w + plot_w + 6}" y="{y + 15}" font-size="12" fill="#111">{text}</text>')
    return _svg(title, parts, height)


def _frame(title: str, top: float, fmt) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = []
    for share in (0, 0.5, 1):
        y = TOP + plot_h * (1 - share)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#333">{fmt(top * share)}</text>')
    return parts


def _day_labels(days: Sequence[date], step: float) -> list[str]:
    if not days:
        return []
    every = max(1, round(len(days) / 8))
    labels = []
    for i in range(0, len(days), every):
        labels.append(f'<text x="{LEFT + (i + 0.5) * step:.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
                      f'font-size="11" fill="#333">{days[i]:%d/%m}</text>')
    return labels


def _svg(title: str, parts: list[str], height: int = HEIGHT) -> str:
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(parts)}</svg>')
