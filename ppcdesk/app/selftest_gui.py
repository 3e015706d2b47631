"""The self-test's Qt checks: an offscreen chart render and a bundled clip's duration."""

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


def check_audio() -> str:
    from ppcdesk.app.selftest import SkipCheck

    _app()
    from PySide6.QtCore import QEventLoop, QTimer, QUrl
    from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

    clip = resources_dir() / "demo_audio" / "clip_3.mp3"
    player = QMediaPlayer()
    if not player.isAvailable():
        raise SkipCheck("QtMultimedia has no backend on this machine")
    output = QAudioOutput()
    output.setVolume(0.0)
    player.setAudioOutput(output)
    loop = QEventLoop()
    player.durationChanged.connect(lambda d: loop.quit() if d > 0 else None)
    player.errorOccurred.connect(lambda *_: loop.quit())
    QTimer.singleShot(10_000, loop.quit)
    player.setSource(QUrl.fromLocalFile(str(clip)))
    if player.duration() <= 0:
        loop.exec()
    duration = player.duration()
    error = player.errorString()
    player.stop()
    if duration <= 0:
        raise AssertionError(f"could not read {clip.name}: {error or 'no duration'}")
    return f"{clip.name} is {duration / 1000:.1f} s long"


def gui_checks() -> list[tuple[str, Callable[[], str]]]:
    return [("chart rendering", check_chart), ("audio playback", check_audio)]
