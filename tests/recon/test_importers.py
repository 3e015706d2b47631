"""Reading partner reports: encodings, delimiters, dates, mappings, and one error per bad row."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from ppcdesk.recon.importers.mapping import (
    BUILTIN_PRESETS,
    ColumnMapping,
    Preset,
    builtin,
    guess_mapping,
)
from ppcdesk.recon.importers.parse import MissingColumnError, parse_table
from ppcdesk.recon.importers.reader import ReportFileError, read_csv_bytes, read_table
from ppcdesk.recon.records import Verdict

ISO = builtin("generic-iso")
assert ISO is not None
MAPPING = ISO.mapping
HEADER = "call_id,caller,started_at,duration,amount,status,campaign\n"


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def parse(text: str, mapping: ColumnMapping = MAPPING, encoding: str = "utf-8"):
    return parse_table(read_csv_bytes(text.encode(encoding), source="r.csv"), mapping)


FILE = "campaign;caller\nCafé;+16025550101\n"


@pytest.mark.parametrize(("data", "encoding"), [
    (FILE.encode(), "utf-8"),
    (b"\xef\xbb\xbf" + FILE.encode(), "utf-8-sig"),  # Excel's "CSV UTF-8"
    (FILE.encode("cp1252"), "cp1252"),  # Excel's plain "CSV" on Windows
])
def test_encodings_are_detected(data: bytes, encoding: str) -> None:
    table = read_csv_bytes(data, source="r.csv")
    assert table.encoding == encoding
    assert table.header == ("campaign", "caller")
    assert table.rows[0][1] == ("Café", "+16025550101")


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_detected(delimiter: str) -> None:
    text = f"a{delimiter}b{delimiter}c\n1{delimiter}\"2,5\"{delimiter}3\n"
    table = read_csv_bytes(text.encode(), source="r.csv")
    assert table.delimiter == delimiter
    assert table.header == ("a", "b", "c")


@pytest.mark.parametrize(("data", "why"), [
    (b"", "the file is empty"),
    (b"\n\n  \n", "the file is empty"),
    (HEADER.encode(), "a header but no rows"),
    ("a,b\n1,2\n".encode("utf-16"), "UTF-16 or a binary file"),
    (b"\x00\x01\x02PK binary", "UTF-16 or a binary file"),
])
def test_unreadable_files_say_why(data: bytes, why: str) -> None:
    with pytest.raises(ReportFileError, match=why) as caught:
        read_csv_bytes(data, source="april.csv")
    assert "april.csv" in str(caught.value)


def test_a_missing_column_names_it_and_lists_those_there() -> None:
    with pytest.raises(MissingColumnError, match=r"no column 'amount' for the amount.*'caller'"):
        parse("call_id,caller,started_at,duration,status,campaign\nx,6025550101,2026-01-01 "
              "10:00,60,paid,A\n")


# Each case: one data line (after HEADER) and the single error expected, or None.
BAD_ROWS = {
    "a date that cannot be read": (
        "CA1,6025550101,31/31/2026 10:00,60,$25,paid,A", "started_at", "31/31/2026 10:00",
        "cannot be read as an ISO date"),
    "no start time": ("CA1,6025550101,,60,$25,paid,A", "started_at", "", "no start time"),
    "a caller that is no number": (
        "CA1,12,2026-01-01 10:00,60,$25,paid,A", "caller", "12", "not a phone number"),
    "an amount that is no money": (
        "CA1,6025550101,2026-01-01 10:00,60,25 bucks,paid,A", "amount", "25 bucks",
        "not an amount of money"),
    "a duration that is no duration": (
        "CA1,6025550101,2026-01-01 10:00,long,$25,paid,A", "duration", "long",
        "not a duration"),
    "a status nobody knows": (
        "CA1,6025550101,2026-01-01 10:00,60,$25,maybe,A", "status", "maybe",
        "a status this preset does not know"),
}


@pytest.mark.parametrize(("line", "column", "value", "why"), BAD_ROWS.values(),
                         ids=BAD_ROWS.keys())
def test_one_clear_error_per_bad_row(line: str, column: str, value: str, why: str) -> None:
    good = "CA0,6025550100,2026-01-01 09:00,60,$25,paid,A"
    result = parse(HEADER + good + "\n" + line + "\n" + good.replace("CA0", "CA9") + "\n")
    assert [r.call_id for r in result.rows] == ["CA0", "CA9"]
    (error,) = result.errors
    assert (error.row, error.column, error.value) == (3, column, value)
    assert why in error.why
    assert str(error).startswith(f"row 3, column {column!r}")


def test_iso_rows_are_read_in_full() -> None:
    result = parse(HEADER + "CA1,(602) 555-0101,2026-03-01T14:05:09Z,1:35,\"$1,200.50\","
                   "Dupe,Auto\n"
                   "CA2,+1 312 555 0102,2026-03-01 09:05:09-05:00,95.4s,(3.00),,Home\n"
                   "CA3,anonymous,2026-03-01 14:05,,,,\n")
    one, two, three = result.rows
    assert one[:9] == (2, epoch("2026-03-01 14:05:09"), "+16025550101", 95, 1_200_500_000,
                   Verdict.DUPLICATE, "CA1", "Dupe", "Auto")
    assert (two.started_at, two.caller, two.duration_s, two.amount_micros, two.verdict) == (
        epoch("2026-03-01 14:05:09"), "+13125550102", 95, -3_000_000, Verdict.REJECTED)
    assert (three.caller, three.duration_s, three.amount_micros, three.verdict) == (
        None, None, 0, Verdict.REJECTED)


@pytest.mark.parametrize(("text", "utc"), [
    ("03/01/2026 2:05:09 PM", "2026-03-01 19:05:09"),  # EST: UTC-5
    ("3/1/2026 14:05", "2026-03-01 19:05:00"),
    ("07/04/26 9:30 AM", "2026-07-04 13:30:00"),  # EDT: UTC-4
    ("2026-07-04 09:30:00", "2026-07-04 13:30:00"),  # ISO is read whatever the preset says
])
def test_us_dates_in_the_presets_zone(text: str, utc: str) -> None:
    preset = builtin("generic-us")
    assert preset is not None
    header = "Call ID,Caller ID,Call Date,Duration,Payout,Status,Campaign\n"
    result = parse(header + f"X,6025550101,{text},60,$25.00,Paid,A\n", preset.mapping)
    assert not result.errors
    assert result.rows[0].started_at == epoch(utc)


def test_a_zone_column_overrides_the_preset_zone() -> None:
    mapping = ColumnMapping(time="when", timezone="UTC", timezone_column="tz")
    result = parse("when,tz\n2026-01-10 10:00,America/Chicago\n2026-01-10 10:00,Mars/Base\n",
                   mapping)
    assert result.rows[0].started_at == epoch("2026-01-10 16:00")
    assert (result.errors[0].column, result.errors[0].why[:10]) == ("tz", "not a time")


def test_xlsx_reads_like_csv(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["call_id", "caller", "started_at", "duration", "amount", "status", "campaign"])
    naive = datetime(2026, 3, 1, 14, 5, 9)  # noqa: DTZ001 - a workbook's cell has no zone
    sheet.append(["CA1", 6025550101, naive, 95, 12.5, "paid", "A"])
    book.save(tmp_path / "r.xlsx")
    result = parse_table(read_table(tmp_path / "r.xlsx"), MAPPING)
    assert result.rows[0][:6] == (2, epoch("2026-03-01 14:05:09"), "+16025550101", 95,
                                  12_500_000, Verdict.PAID)


def test_a_file_that_is_no_workbook(tmp_path: Path) -> None:
    (tmp_path / "r.xlsx").write_bytes(b"not a zip")
    with pytest.raises(ReportFileError, match="not an Excel workbook"):
        read_table(tmp_path / "r.xlsx")


def test_presets_round_trip_as_json() -> None:
    preset = Preset("acme", ColumnMapping(time="When", caller="From", timezone="America/Denver",
                                          statuses={"bonus": Verdict.PAID}),
                    partner="Acme", dispute_window_days=14)
    assert Preset.from_json(preset.to_json()) == preset
    assert all(p.mapping.check() for p in BUILTIN_PRESETS)


def test_guessed_mapping_from_headers() -> None:
    guess = guess_mapping(("Call Date", "Caller ID", "Duration", "Payout", "Call ID", "Status"))
    assert (guess.time, guess.caller, guess.amount, guess.call_id, guess.status) == (
        "Call Date", "Caller ID", "Payout", "Call ID", "Status")


@pytest.mark.slow
def test_a_50_mb_report_is_read_whole(tmp_path: Path) -> None:
    line = "CA{:032d},(602) 555-{:04d},2026-03-01 14:05:09,95,$25.00,paid,Medicare Advantage\n"
    size = len(line.format(0, 0))
    count = 50_000_000 // size + 1
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        out.writelines(line.format(i, i % 10_000) for i in range(count))
    assert path.stat().st_size > 50_000_000
    result = parse_table(read_table(path), MAPPING)
    assert (len(result.rows), result.errors) == (count, ())
    assert result.rows[-1].line == count + 1
