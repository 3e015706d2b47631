"""Change-sets, clocks and errors: the small values every layer passes around."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from ppcdesk.core.changes import ChangeSet, Entity
from ppcdesk.core.clock import FixedClock, day_start_epoch, from_epoch, to_epoch
from ppcdesk.core.errors import DataError, PhoneNumberError, PpcdeskError

# ---------------------------------------------------------------- change-sets


def test_union_merges_entities_and_adds_counts() -> None:
    sync = ChangeSet.of(Entity.CALLS, Entity.RECORDINGS, calls=10, recordings=4)
    review = ChangeSet.of(Entity.CALLS, Entity.REVIEW, calls=2)
    both = sync | review
    assert both.entities == {Entity.CALLS, Entity.RECORDINGS, Entity.REVIEW}
    assert dict(both.counts) == {"calls": 12, "recordings": 4}
    assert dict(sync.counts) == {"calls": 10, "recordings": 4}  # operands unchanged


def test_touches_tells_a_page_whether_to_reload() -> None:
    change = ChangeSet.of(Entity.CALLS, calls=1)
    assert change.touches({Entity.CALLS, Entity.OUTCOMES})  # the call log
    assert not change.touches({Entity.CONTRACTS})  # the contracts page
    assert not change.touches(())


def test_an_empty_change_set_is_falsy() -> None:
    assert not ChangeSet()
    assert not (ChangeSet() | ChangeSet())
    assert ChangeSet.of(Entity.SYNC)


# ---------------------------------------------------------------- clock

NEW_YORK = ZoneInfo("America/New_York")


def test_to_epoch_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        to_epoch(datetime(2026, 11, 20, 12, 0))  # noqa: DTZ001 - the point of the test


def test_to_epoch_is_the_same_instant_in_every_zone() -> None:
    utc = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    assert to_epoch(utc) == 1_795_194_000
    assert to_epoch(utc.astimezone(NEW_YORK)) == 1_795_194_000


def test_from_epoch_shows_the_instant_in_the_zone_asked() -> None:
    moment = from_epoch(1_795_194_000, "America/New_York")
    assert (moment.hour, moment.utcoffset()) == (12, timedelta(hours=-5))
    assert from_epoch(1_795_194_000).tzinfo == ZoneInfo("UTC")
    assert from_epoch(1_795_194_000, NEW_YORK) == moment
    assert to_epoch(moment) == 1_795_194_000


def test_day_start_follows_daylight_saving_time() -> None:
    summer = day_start_epoch(date(2026, 7, 1), "America/New_York")
    winter = day_start_epoch(date(2026, 12, 1), "America/New_York")
    assert from_epoch(summer).hour == 4  # EDT, UTC-4
    assert from_epoch(winter).hour == 5  # EST, UTC-5


def test_fixed_clock_stays_until_advanced() -> None:
    clock = FixedClock(datetime(2026, 11, 20, 12, tzinfo=NEW_YORK))
    assert clock.now() == clock.now()
    assert clock.now().tzinfo == UTC
    clock.advance(timedelta(minutes=5))
    assert clock.now() == datetime(2026, 11, 20, 17, 5, tzinfo=UTC)
    with pytest.raises(ValueError, match="aware"):
        FixedClock(datetime(2026, 11, 20))  # noqa: DTZ001 - the point of the test


# ---------------------------------------------------------------- errors


def test_data_error_names_source_row_and_field() -> None:
    error = DataError("not a number", source="statement.csv", row=12, field="payout")
    assert str(error) == "statement.csv, row 12, field 'payout': not a number"
    assert (error.source, error.row, error.field) == ("statement.csv", 12, "payout")


def test_data_error_names_only_what_it_knows() -> None:
    assert str(DataError("bad", source="a.csv")) == "a.csv: bad"
    assert str(DataError("bad", row=0)) == "row 0: bad"  # row 0 is still a row
    assert str(DataError("bad")) == "bad"


def test_every_deliberate_error_is_a_ppcdesk_error() -> None:
    assert issubclass(PhoneNumberError, DataError)
    assert issubclass(DataError, PpcdeskError)
