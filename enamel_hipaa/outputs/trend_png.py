"""The weekly email's trend chart as a PNG drawn with Pillow (no browser, no network):
open problems per scan, stacked by severity. Mail clients show an inline PNG where they
drop SVG and scripts. `available()` is False without Pillow (the `email` extra); the email
then keeps its trend table only."""

from __future__ import annotations

import io

SEVERITY_RGB = {
    "critical": (122, 39, 26),
    "high": (217, 45, 32),
    "medium": (247, 144, 9),
    "low": (46, 144, 250),
    "info": (152, 162, 179),
}
SIZE = (600, 200)


def available() -> bool:
    import importlib.util

    return importlib.util.find_spec("PIL") is not None


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: one bitmap size
        return ImageFont.load_default()


def render(trend: list[dict], severities, scale: int = 2) -> bytes:
    """trend: [{"date", "by_severity": {sev: n}, "open"}] oldest first -> PNG bytes (drawn at
    `scale`x for sharp text on high-density screens; shown at SIZE in the email)."""
    from PIL import Image, ImageDraw

    w, h = SIZE[0] * scale, SIZE[1] * scale
    img = Image.new("RGB", (w, h), (255, 255, 255))
    d = ImageDraw.Draw(img)
    small, tiny = _font(12 * scale), _font(10 * scale)
    left, right, top, base = 12 * scale, 12 * scale, 40 * scale, h - 30 * scale
    peak = max([t["open"] for t in trend] + [1])
    d.line([(left, base), (w - right, base)], fill=(208, 213, 221), width=scale)
    days = [str(t["date"])[5:10] for t in trend]
    labels = days if len(set(days)) == len(days) else [str(t["date"])[5:16] for t in trend]  # same day: add the time
    x = left  # legend
    for s in severities:
        d.rectangle([x, 6 * scale, x + 10 * scale, 16 * scale], fill=SEVERITY_RGB[s])
        d.text((x + 14 * scale, 5 * scale), s, fill=(52, 64, 84), font=tiny)
        x += (22 + 7 * len(s)) * scale
    n = max(len(trend), 1)
    slot = (w - left - right) / n
    bar = min(slot * 0.6, 48 * scale)
    for i, t in enumerate(trend):
        cx = left + slot * i + slot / 2
        y = base
        for s in reversed(severities):  # info at the bottom, critical on top
            v = t["by_severity"].get(s, 0)
            if not v:
                continue
            hgt = (base - top) * v / peak
            d.rectangle([cx - bar / 2, y - hgt, cx + bar / 2, y], fill=SEVERITY_RGB[s])
            y -= hgt
        d.text((cx, y - 3 * scale), str(t["open"]), fill=(16, 24, 40), font=small, anchor="mb")
        d.text((cx, base + 6 * scale), labels[i], fill=(52, 64, 84), font=tiny, anchor="ma")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
