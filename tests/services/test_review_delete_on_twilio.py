"""Delete on Twilio after download: only copies that check out, each committed as it goes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from ppcdesk.core.progress import run_job
from ppcdesk.services.app_services import AppServices
from ppcdesk.services.review_service import CallFilter, delete_warning
from ppcdesk.telephony.provider import NetworkDownError
from tests.services.test_review_service import make_app


@pytest.fixture
def app(tmp_path: Path, db_target: str) -> Iterator[AppServices]:
    """A 300-call demo on SQLite and on PostgreSQL (issue 9)."""
    services = make_app(tmp_path / "home", calls=300, target=db_target)
    yield services
    services.db.dispose()


def cache_copies(app: AppServices, n: int) -> list[str]:
    """Give ``n`` recordings a downloaded copy in the cache, as a fetch leaves them."""
    with app.db.write() as conn:
        sids = [r[0] for r in conn.exec_driver_sql(
            "SELECT sid FROM recordings ORDER BY id LIMIT ?", (n,))]
        for i, sid in enumerate(sids):
            data = f"audio {i}".encode() * 100
            relative = f"{sid[2:4].lower()}/{sid}.mp3"
            (app.paths.recordings / relative).parent.mkdir(parents=True, exist_ok=True)
            (app.paths.recordings / relative).write_bytes(data)
            conn.exec_driver_sql(
                "UPDATE recordings SET file_state = 'cached', local_path = ?, size_bytes = ?, "
                "sha256 = ? WHERE sid = ?",
                (relative, len(data), hashlib.sha256(data).hexdigest(), sid))
    return sids


def states(app: AppServices, sids: list[str]) -> list[str]:
    with app.db.read() as conn:
        found = dict(conn.exec_driver_sql(
            f"SELECT sid, file_state FROM recordings WHERE sid IN ({','.join('?' * len(sids))})",
            tuple(sids)).all())
    return [found[sid] for sid in sids]


def test_only_verified_copies_are_deleted_on_twilio(app: AppServices) -> None:
    ok, tampered, missing, refused = cache_copies(app, 4)
    path = app.paths.recordings / f"{tampered[2:4].lower()}/{tampered}.mp3"
    path.write_bytes(path.read_bytes()[:-1] + b"!")  # same size, other bytes
    (app.paths.recordings / f"{missing[2:4].lower()}/{missing}.mp3").unlink()
    asked: list[str] = []

    def delete_one(sid: str) -> None:
        asked.append(sid)
        if sid == refused:
            raise NetworkDownError("no network")

    assert app.review.on_twilio(CallFilter(), downloaded=True)[0] == 4
    changes = run_job(app.review.delete_on_twilio_job(CallFilter(), delete_one))

    assert asked == [ok, refused]  # the tampered and the missing copies were never offered
    assert changes.counts == {"deleted_on_twilio": 1, "unverified": 2, "failed": 1}
    assert states(app, [ok, tampered, missing, refused]) == [
        "local_only", "cached", "cached", "cached"]
    # The only copy left plays, and nothing offers it for deletion or download again.
    detail = app.review.detail(app.review.call_id(_call_of(app, ok)))
    assert app.review.audio_path(detail.recordings[0]) is not None
    assert app.review.on_twilio(CallFilter(), downloaded=True)[0] == 3
    assert ok not in app.review.recordings_to_fetch(CallFilter())


def _call_of(app: AppServices, recording: str) -> str:
    with app.db.read() as conn:
        return str(conn.exec_driver_sql("SELECT call_sid FROM recordings WHERE sid = ?",
                                        (recording,)).scalar_one())


def test_the_warning_names_the_count_the_minutes_and_twilio_s_storage_charge() -> None:
    text = delete_warning(1_234, 600_000)
    assert "1,234 recordings (10,000 minutes)" in text
    assert "beyond 10,000 minutes" in text
    assert "only copy" in text
