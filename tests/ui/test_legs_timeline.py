"""The legs timeline says what the data knows: the wait from the call's time to answer, ring
time only when a leg shows it, never "answered after 0 s"."""

from __future__ import annotations

from ppcdesk.ui.views.legs_timeline import Segment, leg_lanes

T = 1_000


def test_a_leg_stored_from_its_answer_shows_the_callers_wait_not_a_zero_ring() -> None:
    caller, leg = leg_lanes(T, T + 90, [("Acme", "completed", T + 23, T + 88, 65)],
                            time_to_answer_s=23)
    assert caller.segments == (Segment(T, T + 23, "wait"), Segment(T + 23, T + 90, "caller"))
    assert caller.note == "waited 23 s for a buyer to answer (menu and ringing)"
    assert leg.segments == (Segment(T + 23, T + 88, "talk"),)
    assert leg.note == "answered 23 s into the call, talked 65 s; the buyer's side ended first"


def test_a_leg_that_shows_its_ring_draws_it() -> None:
    _caller, leg = leg_lanes(T, T + 80, [("Acme", "completed", T + 5, T + 80, 60)],
                             time_to_answer_s=20)
    assert leg.segments == (Segment(T + 5, T + 20, "ring"), Segment(T + 20, T + 80, "talk"))
    assert leg.note == "rang 15 s, talked 60 s"


def test_an_unanswered_leg_without_a_duration_does_not_invent_a_ring() -> None:
    _caller, missed, _answered = leg_lanes(
        T, T + 100, [("Bolt", "no-answer", T + 8, T + 8, 0),
                     ("Acme", "completed", T + 40, T + 100, 60)], time_to_answer_s=40)
    assert missed.segments == ()
    assert missed.note == ("no-answer, dialled 8 s into the call (how long it rang is not "
                           "reported)")


def test_the_caller_hanging_up_first_is_said() -> None:
    _caller, leg = leg_lanes(T, T + 50, [("Acme", "completed", T + 10, T + 60, 50)],
                             time_to_answer_s=10)
    assert leg.note.endswith("; the caller hung up")
