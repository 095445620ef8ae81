"""Bar charts as plain geometry: the templates draw them as SVG (no chart library)."""

from dataclasses import dataclass

WIDTH = 640
BAR_HEIGHT = 24
LABEL_WIDTH = 230


@dataclass
class Bar:
    """One bar: where it stands, how big it is, and what it says."""

    x: float
    y: float
    width: float
    height: float
    value: int
    label: str
    css: str = ""
    href: str | None = None  # where the bar's label leads


def nice_max(value):
    """Return a round number at or above the value, for the axis."""
    if value <= 5:
        return 5
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return int(10 * magnitude)


def columns(points, height=180):
    """Vertical bars for [(label, value)] over time; returns (bars, top of the axis)."""
    top = nice_max(max((value for _, value in points), default=0))
    slot = WIDTH / max(len(points), 1)
    bars = []
    for index, (label, value) in enumerate(points):
        bar_height = height * value / top
        bars.append(
            Bar(
                x=round(index * slot + slot * 0.15, 1),
                y=round(height - bar_height, 1),
                width=round(slot * 0.7, 1),
                height=round(bar_height, 1),
                value=value,
                label=label,
            )
        )
    return bars, top


def rows(points):
    """Horizontal bars for [(label, value)] or [(label, value, href)], one row each."""
    top = nice_max(max((point[1] for point in points), default=0))
    span = WIDTH - LABEL_WIDTH - 60
    return [
        Bar(
            x=LABEL_WIDTH,
            y=index * (BAR_HEIGHT + 8),
            width=round(span * value / top, 1),
            height=BAR_HEIGHT,
            value=value,
            label=label,
            href=link[0] if link else None,
        )
        for index, (label, value, *link) in enumerate(points)
    ]


def stacked_rows(points, order):
    """Horizontal stacked bars for [(label, {part: value})]: a list of (label, total, [Bar])."""
    top = nice_max(max((sum(parts.values()) for _, parts in points), default=0))
    span = WIDTH - LABEL_WIDTH - 60
    result = []
    for index, (label, parts) in enumerate(points):
        x = LABEL_WIDTH
        segments = []
        for part in order:
            value = parts.get(part, 0)
            if not value:
                continue
            width = span * value / top
            segments.append(
                Bar(
                    round(x, 1),
                    index * (BAR_HEIGHT + 8),
                    round(width, 1),
                    BAR_HEIGHT,
                    value,
                    part,
                    f"seg-{part}",
                )
            )
            x += width
        result.append((label, sum(parts.values()), segments))
    return result
