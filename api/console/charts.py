"""Charts as inline SVG rendered on the server: no chart library, no script, every label escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

from api.core import wording

PALETTE = ("#1f6feb", "#d97706", "#059669", "#7c3aed", "#dc2626", "#0891b2", "#65a30d", "#db2777")
FONT = 'font-family="sans-serif" font-size="12"'


def _empty(title: str, width: int) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" width="{width}" height="40">'
        f'<text x="4" y="24" {FONT} fill="#666">{escape(wording.text("console", "figures.no_data"))}</text></svg>'
    )


def hbar(title: str, rows: Sequence[tuple[str, float]], *, width: int = 560, unit: str = "") -> Markup:
    """Horizontal bars, one per label, value printed at the end of the bar."""
    if not rows:
        return _empty(title, width)
    label_w, bar_h, gap = 200, 18, 6
    top = max(v for _, v in rows) or 1.0
    height = len(rows) * (bar_h + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
    ]
    span = width - label_w - 60
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = max(1.0, span * value / top)
        text = label if len(label) <= 14 else label[:13] + "…"
        shown = f"{value:g}{unit}"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" {FONT}><title>{escape(label)}</title>'
            f"{escape(text)}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{PALETTE[0]}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" {FONT}>{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_columns(
    title: str, days: Sequence[str], series: Mapping[str, Sequence[int]], *, width: int = 640, height: int = 220
) -> Markup:
    """One column per day, stacked by series (e.g. channel), with a legend."""
    totals = [sum(s[i] for s in series.values()) for i in range(len(days))]
    if not days or not any(totals):
        return _empty(title, width)
    left, bottom, top_pad, legend_h = 36, 36, 10, 22
    plot_h = height - bottom - top_pad - legend_h
    col_w = (width - left - 10) / len(days)
    peak = max(totals) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - 10}" y2="{top_pad + plot_h}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top_pad + 10}" text-anchor="end" {FONT}>{peak}</text>',
    ]
    for i, day in enumerate(days):
        x = left + i * col_w + col_w * 0.15
        y = float(top_pad + plot_h)
        for j, (name, values) in enumerate(series.items()):
            v = values[i]
            if not v:
                continue
            h = plot_h * v / peak
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{col_w * 0.7:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(day)} {escape(name)}: {v}</title></rect>'
            )
        if len(days) <= 16 or i % 2 == 0:
            parts.append(
                f'<text x="{x + col_w * 0.35:.1f}" y="{top_pad + plot_h + 14}" text-anchor="middle" '
                f'font-family="sans-serif" font-size="10">{escape(day[5:])}</text>'
            )
    lx = left
    for j, name in enumerate(series):
        ly = height - 8
        parts.append(
            f'<rect x="{lx}" y="{ly - 10}" width="10" height="10" fill="{PALETTE[j % len(PALETTE)]}"/>'
            f'<text x="{lx + 14}" y="{ly}" {FONT}>{escape(name)}</text>'
        )
        lx += 24 + 8 * len(name)
    parts.append("</svg>")
    return Markup("".join(parts))


def gauge(title: str, ratio: float | None, *, width: int = 260, detail: str = "") -> Markup:
    """A single rate as a filled bar with the percentage; None means nothing to measure yet."""
    h = 54
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'width="{width}" height="{h}" viewBox="0 0 {width} {h}">',
        f'<rect x="0" y="6" width="{width}" height="22" fill="#e5e7eb" rx="4"/>',
    ]
    if ratio is None:
        parts.append(
            f'<text x="6" y="46" {FONT} fill="#666">{escape(wording.text("console", "figures.no_data"))}</text>'
        )
    else:
        colour = "#059669" if ratio >= 0.95 else "#d97706" if ratio >= 0.8 else "#dc2626"
        parts.append(f'<rect x="0" y="6" width="{width * ratio:.1f}" height="22" fill="{colour}" rx="4"/>')
        parts.append(
            f'<text x="6" y="46" {FONT}>{ratio * 100:.1f}%{(" · " + str(escape(detail))) if detail else ""}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
