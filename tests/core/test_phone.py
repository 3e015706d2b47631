"""Phone numbers: E.164 normalisation and the caller's state, as pay-per-call judges geography."""

from __future__ import annotations

import pytest
from ppcdesk.core import phone
from ppcdesk.core.errors import DataError, PhoneNumberError


@pytest.mark.parametrize("text", [
    "(212) 555-0123",
    "212-555-0123",
    "212.555.0123",
    "2125550123",
    "1-212-555-0123",
    "+1 212 555 0123",
    "+12125550123",
    "  +1 (212) 555-0123  ",
])
def test_every_way_of_writing_a_us_number_gives_one_e164(text: str) -> None:
    assert phone.normalize(text) == "+12125550123"


def test_numbers_abroad_keep_their_country() -> None:
    assert phone.normalize("+44 20 7946 0000") == "+442079460000"
    assert phone.normalize("020 7946 0000", default_region="GB") == "+442079460000"


@pytest.mark.parametrize("text", ["", "abc", "12", "555-0123", "+1 212 555 01234567"])
def test_what_is_not_a_phone_number_is_refused_naming_the_input(text: str) -> None:
    with pytest.raises(PhoneNumberError) as caught:
        phone.normalize(text)
    assert repr(text) in str(caught.value)
    assert isinstance(caught.value, DataError)


@pytest.mark.parametrize(("e164", "state"), [
    ("+12125550123", "NY"),  # Manhattan
    ("+16025550123", "AZ"),  # Phoenix
    ("+15125550123", "TX"),  # Austin
    ("+14165550199", "ON"),  # Toronto: provinces count like states
    ("+13125550123", "IL"),
    ("+12065550123", "WA"),  # the geocoder says "Washington State"
])
def test_state_comes_from_the_area_code(e164: str, state: str) -> None:
    assert phone.state_of(e164) == state
    assert phone.geo(e164).state == state
    assert phone.geo(e164).valid


def test_the_northern_territories_area_code_never_borrows_a_neighbours_state() -> None:
    # 867 serves Yukon, the Northwest Territories and Nunavut: a number whose prefix names
    # no territory must not inherit the one an earlier number named, whatever the order.
    assert phone.state_of("+18679798026") == "NU"  # Iqaluit
    assert phone.state_of("+18678678554") is None  # "Northwest Territories/Nunavut/Yukon"
    assert phone.state_of("+18679798026") == "NU"


@pytest.mark.parametrize("e164", ["+18005550100", "+18885550100", "+18335550100"])
def test_toll_free_numbers_have_no_state(e164: str) -> None:
    geo = phone.geo(e164)
    assert geo.toll_free
    assert geo.state is None
    assert geo.area_code == e164[2:5]


def test_numbers_outside_north_america_have_no_state_or_area_code() -> None:
    geo = phone.geo("+442079460000")
    assert (geo.region, geo.area_code, geo.state) == ("GB", None, None)
    assert phone.state_of("+442079460000") is None


def test_geo_never_raises_on_garbage() -> None:
    geo = phone.geo("not a number")
    assert not geo.valid
    assert geo.state is None


@pytest.mark.parametrize("caller", [
    None, "", "anonymous", "Anonymous", " restricted ", "unknown", "private", "+266696687",
])
def test_withheld_callers_are_anonymous(caller: str | None) -> None:
    assert phone.is_anonymous(caller)


@pytest.mark.parametrize("caller", ["+12125550123", "+266696688", "+14165550199"])
def test_real_callers_are_not_anonymous(caller: str) -> None:
    assert not phone.is_anonymous(caller)


def test_mask_hides_all_but_the_last_four_digits() -> None:
    assert phone.mask("+12125550123") == "+1 •••-•••-0123"
    assert "555" not in phone.mask("+12125550123")
    assert phone.mask("+442079460000") == "+44 ••• 0000"


def test_mask_leaves_anonymous_callers_alone() -> None:
    assert phone.mask("anonymous") == "anonymous"


def test_format_national_is_how_the_owner_writes_it() -> None:
    assert phone.format_national("+12125550123") == "(212) 555-0123"
    assert phone.format_national("anonymous") == "anonymous"
