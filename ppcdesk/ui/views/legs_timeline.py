"""A call's legs on one time axis: the caller's wait and call, each forwarded leg's talk.

What the data says, and no more. A forwarded leg talked from its end minus its talk time to its
end. Whether its start is when it began to ring or when it was answered depends on the source
(ppcdesk's sync and demo store the answer moment as the start, and derive the call's
``time_to_answer_s`` from it), so ring time is drawn only when a leg's start is earlier than
its answer. The caller's wait until a buyer answered comes from ``time_to_answer_s`` and is
drawn on the caller's lane: Twilio does not split it into menu and ringing. Twilio does not say
which side hung up; when the caller's leg ends before the buyer's talk would have, the caller
hung up, and the view says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

RING, TALK, CALLER = QColor("#e8b64c"), QColor("#3a9b5c"), QColor("#2f6fb3")
WAIT = QColor("#a9c4e0")
ROW_H, LABEL_W = 20, 170
LEGEND = (("caller on the line", CALLER), ("waiting", WAIT), ("ringing", RING),
          ("talking", TALK))


@dataclass(frozen=True, slots=True)
class Segment:
    start: int
    end: int
    kind: str  # caller | wait | ring | talk


@dataclass(frozen=True, slots=True)
class Lane:
    label: str
    segments: tuple[Segment, ...]
    note: str = ""


def leg_lanes(call_start: int, call_end: int | None,
              legs: list[tuple[str, str, int | None, int | None, int]],
              time_to_answer_s: int | None = None) -> list[Lane]:
    """Lanes from the call's span, its time to answer, and legs as (label, status, start,
    end, talk_s).

    Example: a call at 0 answered 23 s in (time to answer), its leg stored from 23 s to 83 s
    with 60 s of talk: the caller waits 0-23 s then talks; the leg talks 23-83 s, "answered
    23 s into the call" (never "after 0 s": nothing says how long it rang).
    """
    end = call_end if call_end is not None else call_start
    answered_at = None if time_to_answer_s is None else call_start + time_to_answer_s
    caller: tuple[Segment, ...]
    if answered_at is not None and call_start < answered_at <= end:
        caller = (Segment(call_start, answered_at, "wait"), Segment(answered_at, end, "caller"))
        note = f"waited {time_to_answer_s} s for a buyer to answer (menu and ringing)"
    else:
        caller, note = (Segment(call_start, end, "caller"),), ""
    lanes = [Lane("Caller", caller, note)]
    for label, status, start, leg_end, talk in legs:
        if start is None:
            lanes.append(Lane(label, (), f"{status}: never dialled"))
            continue
        stop = leg_end if leg_end is not None else start
        into = f"{start - call_start} s into the call"
        if not talk:
            rang = stop - start
            lanes.append(Lane(label, (Segment(start, stop, "ring"),) if rang else (),
                              f"{status} after ringing {rang} s" if rang else
                              f"{status}, dialled {into} (how long it rang is not reported)"))
            continue
        answered = stop - talk
        segments = [Segment(answered, stop, "talk")]
        if answered > start:
            segments.insert(0, Segment(start, answered, "ring"))
            note = f"rang {answered - start} s, talked {talk} s"
        else:
            note = f"answered {answered - call_start} s into the call, talked {talk} s"
        if call_end is not None and call_end < stop:
            note += "; the caller hung up"
        elif call_end is not None and stop < call_end:
            note += "; the buyer's side ended first"
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
        colors = {"caller": CALLER, "wait": WAIT, "ring": RING, "talk": TALK}
        for i, lane in enumerate(self.lanes):
            y = i * ROW_H * 2 + 2
            painter.setPen(QColor("#333"))
            # A long buyer name is shortened at its end, not cut off at its start.
            label = painter.fontMetrics().elidedText(lane.label, Qt.TextElideMode.ElideRight,
                                                     LABEL_W - 6)
            painter.drawText(QRectF(0, y, LABEL_W - 6, ROW_H),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             label)
            for seg in lane.segments:
                x0 = LABEL_W + width * (seg.start - self.start) / span
                x1 = LABEL_W + width * (seg.end - self.start) / span
                painter.fillRect(QRectF(x0, y + 3, max(2.0, x1 - x0), ROW_H - 6),
                                 colors[seg.kind])
            painter.setPen(QColor("#555"))
            painter.drawText(QRectF(LABEL_W, y + ROW_H - 2, width, ROW_H),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             lane.note)
        self._paint_legend(painter, span)

    def _paint_legend(self, painter: QPainter, span: int) -> None:
        """The span and a swatch in each colour, right-aligned under the lanes.

        Swatches in the colours themselves: the words "light blue" in grey named a colour
        the reader had to match, and the caller's own colour was not named at all.
        """
        metrics = painter.fontMetrics()
        items = [(f"{span} s", None)] + [(text, color) for text, color in LEGEND]
        widths = [metrics.horizontalAdvance(t) + (14 if c is not None else 0) + 12
                  for t, c in items]
        x = self.width() - 4 - sum(widths)
        y = self.height() - 16
        for (text, color), width in zip(items, widths, strict=True):
            if color is not None:
                painter.fillRect(QRectF(x, y + 4, 10, 10), color)
                x += 14
            painter.setPen(QColor("#555"))
            painter.drawText(QRectF(x, y, width, 16), Qt.AlignmentFlag.AlignLeft, text)
            x += width - (14 if color is not None else 0)
