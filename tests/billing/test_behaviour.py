"""Buyers whose answered calls bunch just under the buffer are flagged, with the figures."""

import random

from ppcdesk.billing.behaviour import under_buffer


def test_a_buyer_hanging_up_just_under_the_buffer_is_flagged() -> None:
    rnd = random.Random(4)
    honest = [int(rnd.expovariate(1 / 150)) for _ in range(2_000)]
    # Like the demo's Apex Auto Insurance Group: a fifth of the calls end at 75-89 s.
    apex = honest[:1_600] + [rnd.randint(75, 89) for _ in range(400)]
    found = {b.buyer: b for b in under_buffer({"Honest": honest, "Apex": apex},
                                              {"Honest": 90, "Apex": 90, "Idle": 60})}
    assert found["Apex"].flagged
    assert found["Apex"].just_under > found["Apex"].just_over
    assert (found["Apex"].ratio or 0) > 2
    # Honest talk times thin out with length: a few more just under than just over, unflagged.
    assert found["Honest"].just_under > found["Honest"].just_over
    assert not found["Honest"].flagged
    assert found["Idle"].answered == 0
    assert not found["Idle"].flagged


def test_the_window_edges_and_the_minimum_count() -> None:
    # 75 and 89 are just under a 90 s buffer; 90 and 104 are just over; 74 and 105 neither.
    figures = under_buffer({"B": [74, 75, 89, 90, 104, 105]}, {"B": 90})[0]
    assert (figures.just_under, figures.just_over, figures.answered) == (2, 2, 6)
    assert not under_buffer({"B": [80, 81, 82, 83, 84, 95, 96, 97, 98]}, {"B": 90})[0].flagged
    assert not under_buffer({"B": [80, 81, 82, 83]}, {"B": 90})[0].flagged  # 4 < min_calls
    assert under_buffer({"B": [80, 81, 82, 83, 84]}, {"B": 90})[0].flagged
