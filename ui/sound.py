"""The new-order chime, without QtMultimedia.

PySide6-Essentials has no QtMultimedia, and PySide6-Addons (~200 MB) for one short beep
is a poor trade. Instead the chime is a 0.3 s WAV written once with the standard
library (``wave``) and handed to whatever plays sound on this machine, as a detached
process so the UI never waits: ``winsound`` on Windows, ``afplay`` on macOS,
``pw-play``/``paplay``/``aplay`` on Linux. With no player, or no audio device (the
player then simply fails, out of sight), it falls back to ``QApplication.beep()``,
which is silent where there is nothing to beep with.
"""

from __future__ import annotations

import math
import shutil
import struct
import sys
import tempfile
import wave
from pathlib import Path

from PySide6.QtCore import QObject, QProcess
from PySide6.QtWidgets import QApplication

SAMPLE_RATE = 22_050
TONES_HZ = (880.0, 1320.0)  # two short notes, rising: noticeable, not alarming
NOTE_SECONDS = 0.15
VOLUME = 0.35
PLAYERS = ("pw-play", "paplay", "aplay", "afplay")


def chime_wav(path: Path) -> Path:
    """Write the chime to ``path`` (16-bit mono PCM) and return it."""
    frames = bytearray()
    per_note = int(SAMPLE_RATE * NOTE_SECONDS)
    for tone in TONES_HZ:
        for i in range(per_note):
            fade = min(1.0, i / 200, (per_note - i) / 400)  # no clicks at the edges
            sample = VOLUME * fade * math.sin(2 * math.pi * tone * i / SAMPLE_RATE)
            frames += struct.pack("<h", int(sample * 32767))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(bytes(frames))
    return path


class Chime(QObject):
    """``play()`` the chime if ``enabled``; never blocks, never raises."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.enabled = True
        self.plays = 0  # how many times it was asked to sound (for tests)
        self._wav: Path | None = None
        self._player = next((found for name in PLAYERS if (found := shutil.which(name))), None)

    def _file(self) -> Path:
        if self._wav is None or not self._wav.exists():
            self._wav = chime_wav(Path(tempfile.gettempdir()) / "passline-chime.wav")
        return self._wav

    def play(self) -> None:
        if not self.enabled:
            return
        self.plays += 1
        try:
            if sys.platform == "win32":
                import winsound

                winsound.PlaySound(str(self._file()), winsound.SND_FILENAME | winsound.SND_ASYNC)
                return
            if self._player is not None:
                process = QProcess()
                process.setProgram(self._player)
                process.setArguments([str(self._file())])
                process.setStandardOutputFile(QProcess.nullDevice())
                process.setStandardErrorFile(QProcess.nullDevice())
                if process.startDetached():
                    return
        except OSError:
            pass
        QApplication.beep()
