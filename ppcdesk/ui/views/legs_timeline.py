"""A call's legs on one time axis: the caller's leg, and each forwarded leg's ring and talk.

A forwarded leg rang from its start until it was answered (its end minus its talk time) and
talked until its end. Twilio does not say which side hung up; when the caller's leg ends before
the buyer's talk would have, the caller hung up, and the view says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

RING, TALK, CALLER = QColor("#e8b64c"), QColor("#3a9b5c"), QColor("#2f6fb3")
ROW_H, LABEL_W = 20, 170


@dataclass(frozen=True, slots=True)
class Segment:
    start: int
    end: int
    kind: str  # caller | ring | talk


@dataclass(frozen=True, slots=True)
class Lane:
    label: str
    segments: tuple[Segment, ...]
    note: str = ""


def leg_lanes(call_start: int, call_end: int | None,
              legs: list[tuple[str, str, int | None, int | None, int]]) -> list[Lane]:
    """Lanes from the call's span and legs given as (label, status, start, end, talk_s)."""
    end = call_end if call_end is not None else call_start
    lanes = [Lane("Caller", (Segment(call_start, end, "caller"),))]
    for label, status, start, leg_end, talk in legs:
        if start is None:
            lanes.append(Lane(label, (), f"{status}: never dialled"))
            continue
        stop = leg_end if leg_end is not None else start
        answered = stop - talk if talk else None
        segments = [Segment(start, answered if answered is not None else stop, "ring")]
        note = status
        if answered is not None:
            segments.append(Segment(answered, stop, "talk"))
            note = f"answered after {answered - start} s, talked {talk} s"
            if call_end is not None and call_end < stop:
                note += "; the caller hung up"
            elif call_end is not None:
                note += "; the buyer's side ended first" if stop < call_end else ""
        lanes.append(Lane(label, tuple(segments), note))
    return lanes


class LegsTimeline(QWidget):
    """Draws lanes of segments against the call's time span."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lanes: list[Lane] = []
        self.start = 0
        self.end = 1
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_lanes(self, lanes: list[Lane]) -> None:
        self.lanes = lanes
        times = [t for lane in lanes for s in lane.segments for t in (s.start, s.end)]
        self.start, self.end = (min(times), max(times)) if times else (0, 1)
        self.end = max(self.end, self.start + 1)
        self.setFixedHeight(max(1, len(lanes)) * ROW_H * 2 + 18)
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        width = max(10, self.width() - LABEL_W - 8)
        span = self.end - self.start
        colors = {"caller": CALLER, "ring": RING, "talk": TALK}
        for i, lane in enumerate(self.lanes):
            y = i * ROW_H * 2 + 2
            painter.setPen(QColor("#333"))
            painter.drawText(QRectF(0, y, LABEL_W - 6, ROW_H),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             lane.label)
            for seg in lane.segments:
                x0 = LABEL_W + width * (seg.start - self.start) / span
                x1 = LABEL_W + width * (seg.end - self.start) / span
                painter.fillRect(QRectF(x0, y + 3, max(2.0, x1 - x0), ROW_H - 6),
                                 colors[seg.kind])
            painter.setPen(QColor("#555"))
            painter.drawText(QRectF(LABEL_W, y + ROW_H - 2, width, ROW_H),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             lane.note)
        painter.setPen(QColor("#777"))
        painter.drawText(QRectF(LABEL_W, self.height() - 16, width, 16),
                         Qt.AlignmentFlag.AlignRight,
                         f"{span} s  ·  ring ■ yellow  ·  talk ■ green")
