"""Evidence packets: one folder (or zip) that proves a call happened as we say it did.

The packet holds ``evidence.pdf`` (the call, its legs and times, who hung up, each contract's
terms and rule trace, the partner's line), the recording (whole, or its first N seconds), and
``SHA256SUMS``, the manifest of every other file in ``sha256sum`` format, so the partner can
check nothing was changed (``sha256sum -c SHA256SUMS``).

The PDF is rendered by a function the caller passes (the UI's Qt PDF writer), so this module
stays free of Qt. A WAV recording is cut exactly with ``wave``; an MP3 is cut at the byte
share of its duration (frames are self-contained, so players play the cut file; the length
is approximate for variable bit rates).
"""

from __future__ import annotations

import hashlib
import html
import json
import shutil
import wave
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ppcdesk.core.clock import from_epoch
from ppcdesk.core.money import Money

PdfWriter = Callable[[str, Path], object]


@dataclass(frozen=True, slots=True)
class Leg:
    sid: str
    to_number: str
    status: str
    started_at: int | None
    ended_at: int | None
    duration_s: int


@dataclass(frozen=True, slots=True)
class Decision:
    contract: str
    version: int
    terms: str
    qualified: bool
    amount_micros: int
    reasons: str  # JSON [{code, text}], the engine's rule trace


@dataclass(frozen=True, slots=True)
class TheirLine:
    file_name: str
    line: int
    started_at: int
    caller: str | None
    duration_s: int | None
    amount_micros: int
    status: str
    evidence: str  # how the matcher paired it


@dataclass(frozen=True, slots=True)
class Evidence:
    """Everything the packet shows about one call."""

    workspace: str
    zone: str
    sid: str
    caller: str
    called: str
    status: str
    started_at: int
    ended_at: int | None
    duration_s: int
    connected_s: int
    buyer: str | None
    legs: tuple[Leg, ...]
    decisions: tuple[Decision, ...]
    their_lines: tuple[TheirLine, ...]
    recording: Path | None

    def who_hung_up(self) -> str:
        """Inferred from the end times: Twilio does not say who hung up."""
        answered = [leg for leg in self.legs if leg.ended_at and leg.duration_s > 0]
        if not answered or self.ended_at is None:
            return "no buyer answered; the caller's call ended on its own"
        last = max(leg.ended_at or 0 for leg in answered)
        if self.ended_at - last >= 2:
            return (f"the buyer's leg ended {self.ended_at - last} s before the call: "
                    "the buyer (or a transfer) ended it")
        return "the call and the buyer's leg ended together: the caller hung up (inferred)"


def to_html(ev: Evidence) -> str:
    esc = html.escape

    def when(epoch: int | None) -> str:
        return "-" if epoch is None else from_epoch(epoch, ev.zone).strftime(
            "%Y-%m-%d %H:%M:%S %Z")

    rows = [("Call SID", ev.sid), ("Caller", ev.caller), ("Number dialled", ev.called),
            ("Status", ev.status), ("Started", when(ev.started_at)),
            ("Ended", when(ev.ended_at)), ("Duration", f"{ev.duration_s} s"),
            ("Talk time with the buyer", f"{ev.connected_s} s"), ("Buyer", ev.buyer or "-"),
            ("Who hung up", ev.who_hung_up())]
    out = [(f"<html><body style=\"font-family:'DejaVu Sans'; font-size:9pt\">"
           f"<p style='color:#5b6477'>{esc(ev.workspace)}: evidence</p>"),
           f"<h1 style='font-size:15pt'>Call {esc(ev.sid)}</h1>",
           "<table cellpadding='3' cellspacing='0'>"]
    out += [f"<tr><td><b>{esc(k)}</b></td><td>{esc(v)}</td></tr>" for k, v in rows]
    out.append("</table><h2 style='font-size:11pt'>Legs</h2>"
               "<table cellpadding='3' cellspacing='0' width='100%'><tr><th align='left'>Leg"
               "</th><th align='left'>To</th><th align='left'>Status</th><th align='left'>"
               "Started</th><th align='left'>Ended</th><th align='right'>Duration</th></tr>")
    out += [f"<tr><td>{esc(leg.sid)}</td><td>{esc(leg.to_number)}</td><td>{esc(leg.status)}"
            f"</td><td>{when(leg.started_at)}</td><td>{when(leg.ended_at)}</td>"
            f"<td align='right'>{leg.duration_s} s</td></tr>" for leg in ev.legs]
    out.append("</table><h2 style='font-size:11pt'>Contracts</h2>")
    for d in ev.decisions:
        verdict = f"qualified, {Money(d.amount_micros)}" if d.qualified else "not qualified"
        trace = "; ".join(f"{r.get('code')}: {r.get('text')}" for r in json.loads(d.reasons)
                          if isinstance(r, dict)) or "every rule passed"
        out.append(f"<p><b>{esc(d.contract)}</b> (version {d.version}): {esc(verdict)}<br/>"
                   f"Rule trace: {esc(trace)}</p><pre style='font-size:7pt'>"
                   f"{esc(d.terms)}</pre>")
    out.append("<h2 style='font-size:11pt'>The partner's line</h2>")
    for t in ev.their_lines:
        out.append(f"<p>{esc(t.file_name)}, line {t.line}: started {when(t.started_at)}, "
                   f"caller {esc(t.caller or '-')}, duration {t.duration_s} s, "
                   f"{Money(t.amount_micros)}, status {esc(t.status or '-')}<br/>"
                   f"Paired by: {esc(t.evidence or '-')}</p>")
    if not ev.their_lines:
        out.append("<p>No line of a partner's report is paired with this call.</p>")
    out.append("</body></html>")
    return "".join(out)


def write_packet(ev: Evidence, folder: Path, pdf: PdfWriter, *, seconds: int | None = None,
                 as_zip: bool = False) -> Path:
    """Write the packet into ``folder`` (created); return it, or the zip beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    pdf(to_html(ev), folder / "evidence.pdf")
    if ev.recording is not None and ev.recording.exists():
        suffix = ev.recording.suffix.lower()
        target = folder / f"recording{'' if seconds is None else f'-first-{seconds}s'}{suffix}"
        cut_audio(ev.recording, target, seconds)
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != "SHA256SUMS")
    manifest = "".join(f"{sha256_of(p)}  {p.name}\n" for p in files)
    (folder / "SHA256SUMS").write_text(manifest, encoding="utf-8")
    if not as_zip:
        return folder
    archive = folder.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in [*files, folder / "SHA256SUMS"]:
            zf.write(path, f"{folder.name}/{path.name}")
    return archive


def cut_audio(source: Path, target: Path, seconds: int | None) -> None:
    """Copy ``source``, or only its first ``seconds`` (see the module docstring)."""
    if seconds is None:
        shutil.copyfile(source, target)
        return
    if source.suffix.lower() == ".wav":
        with wave.open(str(source), "rb") as src, wave.open(str(target), "wb") as dst:
            dst.setparams(src.getparams())
            dst.writeframes(src.readframes(src.getframerate() * seconds))
        return
    data = source.read_bytes()
    total = _mp3_seconds(data)
    keep = len(data) if total <= seconds else len(data) * seconds // max(1, total)
    target.write_bytes(data[:keep])


def _mp3_seconds(data: bytes) -> int:
    """An MP3's length from its first frame's bit rate (constant bit rate assumed)."""
    rates = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
    start = data.find(b"\xff\xfb")
    if start < 0 or start + 2 >= len(data):
        return 0
    index = data[start + 2] >> 4
    kbps = rates[index] if index < len(rates) else 0
    return len(data) * 8 // (kbps * 1000) if kbps else 0


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
