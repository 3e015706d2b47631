"""The self-test's Qt checks: an offscreen chart render, and a bundled clip played muted."""

from __future__ import annotations

import os
from collections.abc import Callable

from ppcdesk.config.paths import resources_dir


def _app() -> object:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication(["ppcdesk-selftest"])


def check_chart() -> str:
    _app()
    import numpy as np
    import pyqtgraph as pg

    widget = pg.PlotWidget()
    widget.resize(400, 300)
    widget.plot(np.arange(100), np.sin(np.arange(100) / 10))
    image = widget.grab().toImage()
    widget.deleteLater()
    if image.isNull() or image.width() < 100:
        raise AssertionError("the chart rendered an empty image")
    return f"rendered a {image.width()}x{image.height()} chart offscreen"


_KEPT: list[object] = []


def end_without_teardown(code: int) -> None:
    """Exit now with ``code`` if the audio check left a player alive (see ``check_audio``).

    Output and logs are flushed first; Qt's objects are left to the operating system.
    """
    if not _KEPT:
        return
    import logging
    import os
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


def check_audio() -> str:
    """Play a bundled clip, muted, until its position moves and its duration is known.

    A missing multimedia back end fails (not skips): every ppcdesk build ships FFmpeg's, so its
    absence means a broken install, e.g. the FFmpeg plugin's libraries (Debian: libxrandr2,
    libpulse0) are missing. No sound device is needed: playback then runs on Qt's own clock.
    """
    _app()
    from PySide6.QtCore import QEventLoop, QTimer, QUrl
    from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

    clip = resources_dir() / "demo_audio" / "clip_3.mp3"
    player = QMediaPlayer()
    if not player.isAvailable():
        raise AssertionError("QtMultimedia found no back end (the FFmpeg plugin did not load; "
                             "QT_DEBUG_PLUGINS=1 says why)")
    output = QAudioOutput()
    output.setVolume(0.0)
    player.setAudioOutput(output)
    loop = QEventLoop()

    def progressed() -> None:
        if player.duration() > 0 and player.position() > 0:
            loop.quit()

    player.positionChanged.connect(lambda _: progressed())
    player.durationChanged.connect(lambda _: progressed())
    player.errorOccurred.connect(lambda *_: loop.quit())
    QTimer.singleShot(10_000, loop.quit)
    player.setSource(QUrl.fromLocalFile(str(clip)))
    player.play()
    loop.exec()
    duration, position, error = player.duration(), player.position(), player.errorString()
    # Never tear the player down: stopping or freeing a player that was just playing can wait
    # forever on FFmpeg's demuxer thread (seen in a clean Debian root) or crash (SIGSEGV in a
    # Qt thread, PySide6 6.11). It stays alive, muted, and the self-test's process ends
    # without Qt's teardown (see ``end_without_teardown``).
    _KEPT.extend((player, output))
    if duration <= 0 or position <= 0:
        raise AssertionError(f"could not play {clip.name}: {error or 'it never advanced'} "
                             f"(duration {duration} ms, position {position} ms)")
    return f"played {clip.name} for {position} ms (of {duration / 1000:.1f} s), muted"


def gui_checks() -> list[tuple[str, Callable[[], str]]]:
    return [("chart rendering", check_chart), ("audio playback", check_audio)]
