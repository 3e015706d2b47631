"""Evidence packets: the PDF's content, the recording (whole or cut), a manifest that checks."""

from __future__ import annotations

import hashlib
import wave
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from ppcdesk.config.paths import resolve
from ppcdesk.core.clock import FixedClock
from ppcdesk.services.recon_service import ReconService
from ppcdesk.storage.db import Database
from recon_support import add_buyer_contract, apply_rule

T = int(datetime(2026, 3, 2, 15, tzinfo=UTC).timestamp())


def _service(db: Database, tmp_path: Path) -> ReconService:
    paths = resolve(tmp_path / "home")
    audio = paths.recordings / "ab" / "REab.wav"
    audio.parent.mkdir(parents=True)
    with wave.open(str(audio), "wb") as w:  # 5 s of silence, 8 kHz mono
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 8000 * 5)
    with db.write() as conn:
        conn.exec_driver_sql("INSERT INTO buyers (id, name, contact, created_at) VALUES "
                             "(1, 'Acme', '', 0)")
        conn.exec_driver_sql(
            "INSERT INTO calls (id, sid, caller, called, status, direction, started_at, "
            "ended_at, duration_s, connected_s, buyer_id, updated_at) VALUES (1, 'CA1', "
            "'+16025550101', '+18005550100', 'completed', 'inbound', ?, ?, 130, 118, 1, 0)",
            (T, T + 130))
        conn.exec_driver_sql(
            "INSERT INTO call_legs (sid, call_sid, from_number, to_number, status, direction, "
            "started_at, ended_at, duration_s) VALUES ('CAleg', 'CA1', '+16025550101', "
            "'+13055550142', 'completed', 'outbound-dial', ?, ?, 118)", (T + 12, T + 130))
        conn.exec_driver_sql(
            "INSERT INTO recordings (sid, call_sid, started_at, duration_s, channels, status, "
            "file_state, local_path) VALUES ('REab', 'CA1', ?, 5, 1, 'completed', 'cached', "
            "'ab/REab.wav')", (T + 12,))
    apply_rule(db, add_buyer_contract(db, 1, "Acme Medicare"), 1)
    return ReconService(db, paths, FixedClock(datetime(2026, 3, 10, tzinfo=UTC)))


def _html_as_pdf(html: str, path: Path) -> None:  # the Qt writer's stand-in: same contract
    path.write_text(html, encoding="utf-8")


def test_packet_with_cut_recording_and_manifest(db: Database, tmp_path: Path) -> None:
    service = _service(db, tmp_path)
    folder = service.write_evidence(1, tmp_path / "packet-CA1", _html_as_pdf, seconds=2)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["SHA256SUMS", "evidence.pdf", "recording-first-2s.wav"]
    with wave.open(str(folder / "recording-first-2s.wav")) as w:
        assert w.getnframes() == 2 * 8000
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    text = (folder / "evidence.pdf").read_text()
    assert "Call CA1" in text
    assert "CAleg" in text
    assert "Acme Medicare</b> (version 1): qualified, $25.00" in text
    assert "the caller hung up" in text
    assert "No line of a partner" in text


def test_zip_holds_the_folder(db: Database, tmp_path: Path) -> None:
    service = _service(db, tmp_path)
    archive = service.write_evidence(1, tmp_path / "packet", _html_as_pdf, as_zip=True)
    assert archive.suffix == ".zip"
    with zipfile.ZipFile(archive) as zf:
        assert sorted(zf.namelist()) == ["packet/SHA256SUMS", "packet/evidence.pdf",
                                         "packet/recording.wav"]
