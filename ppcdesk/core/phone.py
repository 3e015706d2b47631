"""Phone numbers: E.164 normalisation and the caller's geography, through phonenumbers.

phonenumbers carries Google's libphonenumber metadata (validity, regions, geocoding, time zones):
data we could never keep current ourselves. Geography in pay-per-call is judged by area code:
``state_of("+16025551234") == "AZ"``; toll-free and non-geographic numbers have no state.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from ppcdesk.core.errors import PhoneNumberError

ANONYMOUS_CALLERS = frozenset({"", "anonymous", "restricted", "unknown", "private", "+266696687"})

US_STATES = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "District of Columbia": "DC",
    "Washington D.C.": "DC", "Washington DC": "DC", "Florida": "FL", "Georgia": "GA",
    "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA",
    "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD",
    "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN", "Mississippi": "MS",
    "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV", "New Hampshire": "NH",
    "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY", "North Carolina": "NC",
    "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA",
    "Rhode Island": "RI", "South Carolina": "SC", "South Dakota": "SD", "Tennessee": "TN",
    "Texas": "TX", "Utah": "UT", "Vermont": "VT", "Virginia": "VA", "Washington": "WA",
    "Washington State": "WA",  # how the geocoder names most of Washington's numbers
    "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY", "Puerto Rico": "PR",
    # Canada: provinces and territories, by the same two-letter convention.
    "Alberta": "AB", "British Columbia": "BC", "Manitoba": "MB", "New Brunswick": "NB",
    "Newfoundland and Labrador": "NL", "Nova Scotia": "NS", "Ontario": "ON",
    "Prince Edward Island": "PE", "Quebec": "QC", "Saskatchewan": "SK",
    "Northwest Territories": "NT", "Nunavut": "NU", "Yukon": "YT",
}
_STATE_CODES = frozenset(US_STATES.values())


@dataclass(frozen=True, slots=True)
class CallerGeo:
    """What a caller's number says about where they are."""

    e164: str
    region: str | None  # ISO country: "US", "CA", ...
    area_code: str | None  # NANP area code (NPA), when the number is North American
    state: str | None  # two-letter state or province, when the area code is geographic
    valid: bool
    toll_free: bool


def normalize(text: str, default_region: str = "US") -> str:
    """Return ``text`` in E.164 (``+12125550123``); raise PhoneNumberError if it is no number."""
    try:
        number = phonenumbers.parse(text.strip(), default_region)
    except NumberParseException as exc:
        raise PhoneNumberError(f"{text!r} is not a phone number ({exc})") from exc
    # IS_POSSIBLE_LOCAL_ONLY ("555-0123", no area code) is not enough: it has no E.164 form.
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise PhoneNumberError(f"{text!r} is not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_anonymous(caller: str | None) -> bool:
    """Twilio reports withheld callers as "anonymous", "+266696687" and friends."""
    return caller is None or caller.strip().lower() in ANONYMOUS_CALLERS


def area_code(e164: str) -> str | None:
    return e164[2:5] if e164.startswith("+1") and len(e164) == 12 else None


# The NANP area codes that span several provinces or territories (867: Yukon, Northwest
# Territories, Nunavut; 902 and its overlay 782: Nova Scotia, Prince Edward Island; found by
# geocoding every prefix). Their state comes from each number's own prefix, never from a
# neighbour's, or the answer would depend on which number was seen first (and a resumed sync
# would store other states than an uninterrupted one).
_MULTI_REGION_AREA_CODES = frozenset({"867", "902", "782"})


def _state_from_geocoder(e164: str) -> str | None:
    # The geocoder's data takes ~0.5 s and ~100 MB to load: only when a state is asked for,
    # never at start-up.
    from phonenumbers import geocoder

    description = geocoder.description_for_number(phonenumbers.parse(e164), "en")
    if not description:
        return None
    if ", " in description:  # "New York, NY"
        code = description.rsplit(", ", 1)[1].strip()
        return code if code in _STATE_CODES else None
    return US_STATES.get(description)


def state_of(e164: str) -> str | None:
    """Return the two-letter state or province of a North American number's area code."""
    npa = area_code(e164)
    if npa is None:
        return None
    if npa in _MULTI_REGION_AREA_CODES:
        return _state_from_geocoder(e164)
    return _state_of_area_code(npa)


@lru_cache(maxsize=1024)
def _state_of_area_code(npa: str) -> str | None:
    """The state of a single-region area code, from one fixed number in it.

    Area codes do not cross state lines, so one answer per area code is right for every number
    in it (one in an unmapped prefix too, since the geocoder falls back to the area code's own
    entry). Asking about a fixed number, not the first caller seen, keeps ``state_of`` a pure
    function: the same number gets the same state in every process, whatever came before.
    """
    return _state_from_geocoder(f"+1{npa}2000000")


@lru_cache(maxsize=65536)
def geo(e164: str) -> CallerGeo:
    """Describe a caller number; never raises (bad numbers come back with ``valid=False``)."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return CallerGeo(e164, None, None, None, valid=False, toll_free=False)
    valid = phonenumbers.is_valid_number(number)
    toll_free = phonenumbers.number_type(number) == PhoneNumberType.TOLL_FREE
    region = phonenumbers.region_code_for_number(number)
    npa = area_code(e164)
    state = None if toll_free or not valid else state_of(e164)
    return CallerGeo(e164, region, npa, state, valid=valid, toll_free=toll_free)


def format_national(e164: str) -> str:
    """Show a number the way its owner would write it: ``(212) 555-0123``."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def mask(e164: str) -> str:
    """Hide all but the last four digits, for shared screens: ``+1 •••-•••-0123``.

    Anonymous callers stay as they are (there is nothing to hide); numbers outside North
    America keep their country code: ``+44 ••• 0000``.
    """
    if is_anonymous(e164):
        return e164
    if len(e164) < 5:
        return "•" * len(e164)
    if e164.startswith("+1") and len(e164) == 12:
        return f"+1 •••-•••-{e164[-4:]}"
    try:
        country = phonenumbers.parse(e164, None).country_code
    except NumberParseException:
        return f"••• {e164[-4:]}"
    return f"+{country} ••• {e164[-4:]}"
