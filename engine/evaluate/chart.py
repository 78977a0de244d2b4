"""A radar chart of the IP-strength dimensions as SVG text (no network, no plotting library).

Each axis is one dimension's share of its maximum; unknown indicators draw the range as a
solid polygon (points known so far) and a dashed one (if every unknown scored full marks).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from engine.evaluate.explain import fmt_number
from engine.model.results import StrengthResult

FONT = "'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif"
WIDTH, HEIGHT, RADIUS = 600, 520, 165
CX, CY = WIDTH / 2, 295
RINGS = (0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass(frozen=True)
class Axis:
    label: str
    low: float  # points known
    high: float  # points if every unknown scored full marks
    max: float

    def caption(self) -> str:
        pts = fmt_number(self.low) if self.low == self.high else f"{fmt_number(self.low)}–{fmt_number(self.high)}"
        return f"{pts} / {fmt_number(self.max)}"


def _point(k: int, n: int, share: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * k / n
    return CX + RADIUS * share * math.cos(angle), CY + RADIUS * share * math.sin(angle)


def _polygon(shares: Sequence[float]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in (_point(k, len(shares), s) for k, s in enumerate(shares)))


def _anchor(x: float) -> str:
    return "middle" if abs(x - CX) < 1 else ("start" if x > CX else "end")


def radar_svg(axes: Sequence[Axis], title: str, subtitle: str = "") -> str:
    """The SVG document (UTF-8 text) of a radar chart with one axis per entry (at least 3)."""
    if len(axes) < 3:
        raise ValueError("a radar chart needs at least 3 axes / 雷达图至少需要 3 个维度")
    n = len(axes)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{FONT}">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{CX}" y="30" text-anchor="middle" font-size="20" font-weight="bold" fill="#1f2d3d">{escape(title)}</text>',
    ]
    if subtitle:
        out.append(
            f'<text x="{CX}" y="54" text-anchor="middle" font-size="13" fill="#5a6b7b">{escape(subtitle)}</text>'
        )
    for ring in RINGS:
        out.append(f'<polygon points="{_polygon([ring] * n)}" fill="none" stroke="#d5dce4" stroke-width="1"/>')
    for k in range(n):
        x, y = _point(k, n, 1.0)
        out.append(f'<line x1="{CX}" y1="{CY}" x2="{x:.1f}" y2="{y:.1f}" stroke="#d5dce4" stroke-width="1"/>')
    for ring in RINGS:
        x, y = _point(0, n, ring)
        out.append(f'<text x="{x + 4:.1f}" y="{y + 4:.1f}" font-size="10" fill="#8a99a8">{int(ring * 100)}%</text>')
    highs = [a.high / a.max for a in axes]
    lows = [a.low / a.max for a in axes]
    if highs != lows:
        out.append(
            f'<polygon points="{_polygon(highs)}" fill="none" stroke="#2b6cb0" stroke-width="1.5" '
            'stroke-dasharray="5,4"/>'
        )
    out.append(
        f'<polygon points="{_polygon(lows)}" fill="#2b6cb0" fill-opacity="0.25" stroke="#2b6cb0" stroke-width="2"/>'
    )
    for k, share in enumerate(lows):
        x, y = _point(k, n, share)
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#2b6cb0"/>')
    for k, axis in enumerate(axes):
        x, y = _point(k, n, 1.0)
        lx, ly = CX + (x - CX) * 1.16, CY + (y - CY) * 1.12
        ly -= 18 if y < CY - 1 else 0  # above the chart: keep both lines clear of the rings
        anchor = _anchor(lx)
        out.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" font-size="16" font-weight="bold" '
            f'fill="#1f2d3d">{escape(axis.label)}</text>'
        )
        out.append(
            f'<text x="{lx:.1f}" y="{ly + 18:.1f}" text-anchor="{anchor}" font-size="12" '
            f'fill="#5a6b7b">{escape(axis.caption())}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def strength_chart(strength: StrengthResult, lang: str = "zh") -> str:
    """The radar chart of the dimensions that apply to this firm, titled with score and tier."""
    axes = [
        Axis(d.label.zh if lang == "zh" else d.label.en, d.low, d.high, d.max) for d in strength.dimensions if d.applies
    ]
    score = fmt_number(strength.score) if strength.score is not None else "?"
    if strength.score is None and strength.score_low is not None and strength.score_high is not None:
        score = f"{fmt_number(strength.score_low)}–{fmt_number(strength.score_high)}"
    if lang == "zh":
        title = f"知识产权实力 {score} 分 · {strength.tier or '?'} 级"
        subtitle = "各维度得分占该维度满分的比例" + ("（虚线：未知指标按满分计）" if strength.missing else "")
    else:
        title = f"IP strength {score} · tier {strength.tier or '?'}"
        subtitle = "share of each dimension's maximum" + (
            " (dashed: unknowns at full marks)" if strength.missing else ""
        )
    return radar_svg(axes, title, subtitle)
