"""Bar charts as plain data for the SVG macro in `templates/overview/_charts.html`.

pygal writes a `<style>` element, which the Content-Security-Policy forbids; a horizontal bar
chart is a handful of rectangles, so the template draws it with presentation attributes and CSS
classes from `static/app.css`. Every chart is followed by a table of the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Bars fill at most this share of the chart's width (the rest holds the number).
BAR_SPACE = 78
ROW_HEIGHT = 40


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    text: str  # the number shown by the bar
    width: float  # per cent of the chart's width
    css: str
    y: int  # top of the label line, in px

    @property
    def bar_y(self) -> int:
        return self.y + 18

    @property
    def text_x(self) -> float:
        return self.width + 2


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]

    @property
    def height(self) -> int:
        return max(ROW_HEIGHT * len(self.bars), ROW_HEIGHT)


def _bars(rows: list[tuple[str, int, str, str]], scale_max: int) -> Chart:
    top = max(scale_max, 1)
    return Chart(
        [
            Bar(label, value, text, round(BAR_SPACE * value / top, 1), css, index * ROW_HEIGHT)
            for index, (label, value, text, css) in enumerate(rows)
        ]
    )


def position_bars(counts: Mapping[str, int], labels: Mapping[str, str]) -> Chart:
    """One bar per position: how many children."""
    total = sum(counts.values())
    rows = [
        (labels.get(key, key), count, _with_share(count, total), f"bar pos-{key}")
        for key, count in counts.items()
    ]
    return _bars(rows, max(counts.values(), default=0))


def progress_bars(progress: Mapping[str, object]) -> Chart:
    """One bar per room or person: the share with a joint assessment (0–100 %)."""
    rows = []
    for name, item in sorted(progress.items(), key=lambda pair: pair[0]):
        share = item.share if item.share is not None else 0  # type: ignore[attr-defined]
        text = f"{item.assessed}/{item.children} ({share} %)"  # type: ignore[attr-defined]
        rows.append((name or "–", share, text, "bar progress"))
    return _bars(rows, 100)


def _with_share(count: int, total: int) -> str:
    return f"{count} ({round(100 * count / total)} %)" if total else str(count)
