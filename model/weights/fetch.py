"""Downloading the pretrained weight files listed in `weights/manifest.json`, and checking them.

A download goes to `<name>.part`; an interrupted one resumes from there with an HTTP Range
request. Only a file whose SHA-256 matches the manifest is moved into place, so a worker never
loads half a file or someone else's. `python -m model.weights` is the command line.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

DEFAULT_MANIFEST = Path(__file__).resolve().parents[2] / "weights" / "manifest.json"
CHUNK = 1 << 20
ATTEMPTS = 3  # a dropped connection is resumed this many times within one run


class FetchError(RuntimeError):
    """A download that failed or did not verify; the message says which file and why."""


@dataclass(frozen=True)
class WeightFile:
    name: str
    url: str
    sha256: str
    size: int | None = None


def read_manifest(path: Path = DEFAULT_MANIFEST) -> list[WeightFile]:
    data = json.loads(path.read_text())
    return [WeightFile(**entry) for entry in data["files"]]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _download(entry: WeightFile, part: Path, timeout: float, quiet: bool) -> None:
    """Append the rest of `entry` to `part`, starting where a previous attempt stopped."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(entry.url, headers={"User-Agent": "adain-bot-weights"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # nothing left to fetch: the part is complete
            return
        raise
    with response:
        if have and response.status != 206:  # the server ignored Range: start over
            have = 0
        total = entry.size or (have + int(response.headers.get("Content-Length") or 0)) or None
        mode = "ab" if have else "wb"
        with (
            part.open(mode) as out,
            tqdm(
                total=total,
                initial=have,
                unit="B",
                unit_scale=True,
                desc=entry.name,
                disable=quiet,
            ) as bar,
        ):
            while block := response.read(CHUNK):
                out.write(block)
                bar.update(len(block))
    expected = int(response.headers.get("Content-Length") or -1)
    if expected >= 0 and part.stat().st_size < have + expected:
        # http.client ends a body cut short without an error: treat it as a dropped connection
        raise ConnectionError(f"connection dropped after {part.stat().st_size} bytes")


def fetch_one(entry: WeightFile, folder: Path, timeout: float = 60, quiet: bool = False) -> str:
    """Make `folder/entry.name` present and verified; returns what was done, in words."""
    dest = folder / entry.name
    if dest.exists() and sha256_of(dest) == entry.sha256:
        return f"{entry.name}: already present and verified"
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f"{entry.name}.part"
    for attempt in range(1, ATTEMPTS + 1):
        try:
            _download(entry, part, timeout, quiet)
            break
        except (urllib.error.URLError, OSError) as exc:
            if attempt == ATTEMPTS:
                raise FetchError(
                    f"{entry.name}: download failed ({exc}); run the command again to resume"
                ) from exc
    got = sha256_of(part)
    if got != entry.sha256:
        part.unlink()
        raise FetchError(
            f"{entry.name}: SHA-256 mismatch (expected {entry.sha256}, got {got}); "
            "the bad file was removed"
        )
    os.replace(part, dest)
    return f"{entry.name}: downloaded and verified"


def check_one(entry: WeightFile, folder: Path) -> tuple[bool, str]:
    """(valid, what was found) for one manifest entry."""
    dest = folder / entry.name
    if not dest.exists():
        partial = folder / f"{entry.name}.part"
        if partial.exists():
            return False, f"{entry.name}: partial download ({partial.stat().st_size} bytes)"
        return False, f"{entry.name}: missing"
    if sha256_of(dest) == entry.sha256:
        return True, f"{entry.name}: present and verified"
    return False, f"{entry.name}: present but its SHA-256 differs from the manifest"
