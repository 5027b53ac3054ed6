"""Small inline SVG charts (no script, no external asset) for the HTML report and the
roll-up. Each function returns markup-safe SVG that scales to its container's width
(viewBox + width 100%), so it never overflows a screen or a printed page."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

STATUS_COLOURS = {
    "pass": "#12b76a",
    "fail": "#d92d20",
    "unknown": "#f79009",
    "error": "#7a5af8",
    "waived": "#2e90fa",
    "skip": "#98a2b3",
}
SEVERITY_COLOURS = {"critical": "#7a271a", "high": "#d92d20", "medium": "#f79009", "low": "#2e90fa", "info": "#98a2b3"}
FONT = 'font-family="Helvetica,Arial,sans-serif"'


def _svg(width: int, height: int, body: list[str], label: str) -> Markup:
    return Markup(
        f'<svg class="chart" role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def stacked_bars(
    rows: list[tuple[str, dict]],
    keys,
    colours: dict,
    label: str,
    width: int = 640,
    label_chars: int = 34,
    absolute: bool = False,
) -> Markup:
    """One horizontal bar per row, split by `keys` (e.g. statuses), with a legend. Each bar
    fills the width (shares), or with `absolute` its length is its total against the largest."""
    left, bar_w, row_h = 230, width - 230 - 50, 22
    height = 28 + row_h * max(len(rows), 1)
    body = []
    peak = max([sum(c.get(k, 0) for k in keys) for _, c in rows] + [1])
    x = left
    for k in keys:  # legend
        body.append(
            f'<rect x="{x}" y="3" width="11" height="11" fill="{colours[k]}"/>'
            f'<text x="{x + 15}" y="13" font-size="12" {FONT} fill="#344054">{escape(k)}</text>'
        )
        x += 18 + 7 * len(k) + 14
    for i, (name, counts) in enumerate(rows):
        y = 24 + i * row_h
        total = sum(counts.get(k, 0) for k in keys)
        body.append(
            f'<text x="{left - 6}" y="{y + 15}" font-size="13" text-anchor="end" {FONT} fill="#344054">'
            f"<title>{escape(name)}</title>{escape(_clip(name, label_chars))}</text>"
        )
        x = float(left)
        for k in keys:
            n = counts.get(k, 0)
            if not n or not total:
                continue
            w = bar_w * n / (peak if absolute else total)
            body.append(
                f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{row_h - 6}" fill="{colours[k]}">'
                f"<title>{escape(name)}: {n} {escape(k)}</title></rect>"
            )
            x += w
        body.append(f'<text x="{left + bar_w + 6}" y="{y + 15}" font-size="12" {FONT} fill="#344054">{total}</text>')
    return _svg(width, height, body, label)


def bars(items: list[tuple[str, int, str]], label: str, width: int = 640) -> Markup:
    """Vertical bars (label, value, colour), values printed above each bar."""
    height, base, top = 190, 160, 22
    n = max(len(items), 1)
    slot = (width - 20) / n
    peak = max([v for _, v, _ in items] + [1])
    body = [f'<line x1="10" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#d0d5dd"/>']
    for i, (name, v, colour) in enumerate(items):
        h = (base - top) * v / peak
        w = min(slot * 0.6, 80)
        x = 10 + i * slot + (slot - w) / 2
        body.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colour}">'
            f"<title>{escape(name)}: {v}</title></rect>"
            f'<text x="{x + w / 2:.1f}" y="{base - h - 5:.1f}" font-size="14" text-anchor="middle" {FONT} '
            f'fill="#101828">{v}</text>'
            f'<text x="{x + w / 2:.1f}" y="{base + 18}" font-size="14" text-anchor="middle" {FONT} '
            f'fill="#344054">{escape(name)}</text>'
        )
    return _svg(width, height, body, label)


def trend_line(points: list[tuple[str, int]], label: str, width: int = 640) -> Markup:
    """Open problems over time: a polyline with a dot and value per scan."""
    height, left, right, top, base = 170, 40, 20, 22, 130
    pad = 34  # keeps the first and last labels inside the chart
    peak = max([v for _, v in points] + [1])
    n = len(points)
    step = (width - left - right - 2 * pad) / max(n - 1, 1)
    xy = [(left + pad + i * step, base - (base - top) * v / peak) for i, (_, v) in enumerate(points)]
    body = [
        f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="#d0d5dd"/>',
        f'<text x="{left - 6}" y="{top + 4}" font-size="10" text-anchor="end" {FONT} fill="#667085">{peak}</text>',
        f'<text x="{left - 6}" y="{base}" font-size="10" text-anchor="end" {FONT} fill="#667085">0</text>',
    ]
    if n > 1:
        body.append(
            '<polyline fill="none" stroke="#d92d20" stroke-width="2" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
            + '"/>'
        )
    every = max(1, n // 8)
    for i, ((name, v), (x, y)) in enumerate(zip(points, xy)):
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#d92d20"><title>{escape(name)}: {v}</title></circle>'
            f'<text x="{x:.1f}" y="{y - 7:.1f}" font-size="10" text-anchor="middle" {FONT} fill="#101828">{v}</text>'
        )
        if i % every == 0 or i == n - 1:
            body.append(
                f'<text x="{x:.1f}" y="{base + 16}" font-size="10" text-anchor="middle" {FONT} '
                f'fill="#344054">{escape(name[:10])}</text>'
            )
    return _svg(width, height, body, label)


def mini_bar(counts: dict, keys, colours: dict, label: str, width: int = 160) -> Markup:
    """A one-line stacked bar (roll-up: risk per tenant), total printed at the end."""
    total = sum(counts.get(k, 0) for k in keys)
    body, x, bar_w = [], 0.0, width - 40
    for k in keys:
        n = counts.get(k, 0)
        if n and total:
            w = bar_w * n / total
            body.append(
                f'<rect x="{x:.1f}" y="3" width="{w:.1f}" height="12" fill="{colours[k]}">'
                f"<title>{n} {escape(k)}</title></rect>"
            )
            x += w
    if not total:
        body.append(f'<rect x="0" y="3" width="{bar_w}" height="12" fill="#ecfdf3" stroke="#12b76a"/>')
    body.append(f'<text x="{bar_w + 4}" y="14" font-size="11" {FONT} fill="#101828">{total}</text>')
    return _svg(width, 18, body, label)
