"""Preset styles: pictures in a folder the operator fills, named after their files."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path

from bot.filetypes import IMAGE_EXTENSIONS


@dataclass(frozen=True)
class Preset:
    id: str  # short and stable: fits in a button's callback data
    name: str
    path: Path


def preset_name(path: Path) -> str:
    """``starry_night.jpg`` → ``Starry night``."""
    words = path.stem.replace("_", " ").replace("-", " ").split()
    name = " ".join(words)
    return name[:1].upper() + name[1:]


def preset_key(data: bytes) -> str:
    """The file_unique_id-like name a preset's bytes are stored under (by content)."""
    return "preset-" + hashlib.sha256(data).hexdigest()[:32]


class PresetLibrary:
    """The folder of preset styles, read afresh on each look (the operator may change it)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def list(self) -> list[Preset]:
        if not self.folder.is_dir():
            return []
        presets = [
            Preset(id=hashlib.sha1(p.name.encode()).hexdigest()[:12], name=preset_name(p), path=p)
            for p in self.folder.iterdir()
            if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".")
        ]
        return sorted(presets, key=lambda p: p.name.casefold())

    def find(self, preset_id: str) -> Preset | None:
        return next((p for p in self.list() if p.id == preset_id), None)

    def named(self, name: str) -> Preset | None:
        """The preset called ``name`` (any case), else the only one whose name starts so."""
        wanted = " ".join(name.replace("_", " ").split()).casefold()
        if not wanted:
            return None
        presets = self.list()
        exact = [p for p in presets if p.name.casefold() == wanted]
        starting = [p for p in presets if p.name.casefold().startswith(wanted)]
        return exact[0] if exact else starting[0] if len(starting) == 1 else None

    def matching(self, text: str) -> tuple[Preset, ...]:
        """The presets whose name holds ``text`` (any case); all for an empty text."""
        wanted = " ".join(text.split()).casefold()
        return tuple(p for p in self.list() if wanted in p.name.casefold())

    async def read(self, preset: Preset) -> bytes:
        return await asyncio.to_thread(preset.path.read_bytes)
