"""Downloading the pretrained weight files listed in `weights/manifest.json`, and checking them.

A download goes to `<name>.part`; an interrupted one resumes from there with an HTTP Range
request. Only a file whose SHA-256 matches the manifest is moved into place, so a worker never
loads half a file or someone else's. `python -m model.weights` is the command line.

A file already in place whose SHA-256 differs (a decoder of one's own, from `model.train` or
other AdaIN code) is kept when it loads in the public layout: only what is missing or
unreadable is downloaded, and a file of another layout is refused, never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from enum import Enum
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


class Local(Enum):
    """What a file in place whose SHA-256 is not the manifest's turned out to be."""

    VALID = "valid"  # loads in the public layout: someone's own weights, kept
    UNREADABLE = "unreadable"  # not a readable PyTorch file (truncated, corrupt)
    FOREIGN = "foreign"  # readable, but another network's layout
    UNKNOWN = "unknown"  # a file name whose layout is not known here


def judge_local(path: Path) -> tuple[Local, str]:
    """Whether a non-public file in place can serve as ``path.name``, and why not."""
    # Imported here: only a non-public file needs torch, and `check` of the public files is fast.
    from model.weights.load import (
        DECODER_FILE,
        VGG_FILE,
        UnreadableWeights,
        WeightsError,
        check_file,
    )

    if path.name not in (VGG_FILE, DECODER_FILE):
        return Local.UNKNOWN, "its SHA-256 differs from the manifest"
    try:
        check_file(path)
    except UnreadableWeights as exc:
        return Local.UNREADABLE, str(exc)
    except WeightsError as exc:
        return Local.FOREIGN, str(exc)
    return Local.VALID, ""


def fetch_one(entry: WeightFile, folder: Path, timeout: float = 60, quiet: bool = False) -> str:
    """Make `folder/entry.name` present and usable; returns what was done, in words.

    A file in place is kept when it is the public one or loads in the public layout; an
    unreadable one (or one whose layout cannot be checked) is replaced by the public file; one
    of another layout raises FetchError and stays as it is.
    """
    dest = folder / entry.name
    problem = ""
    if dest.exists():
        if sha256_of(dest) == entry.sha256:
            return f"{entry.name}: already present and verified"
        verdict, problem = judge_local(dest)
        if verdict is Local.VALID:
            return f"{entry.name}: not the public file; kept, its layout is valid"
        if verdict is Local.FOREIGN:
            raise FetchError(
                f"{problem}; it is neither the public file nor in its layout, so it was left "
                f"as it is: replace it with weights in the public layout, or remove it to fetch "
                "the public one"
            )
    try:
        done = _fetch(entry, folder, timeout, quiet)
    except FetchError as exc:
        if problem:  # the file in place was unusable too: say both in one line
            raise FetchError(f"{problem}; {str(exc).removeprefix(entry.name + ': ')}") from exc
        raise
    return f"{problem}; replaced: {done.removeprefix(entry.name + ': ')}" if problem else done


def _fetch(entry: WeightFile, folder: Path, timeout: float, quiet: bool) -> str:
    """Download, verify and move the public file into place."""
    dest = folder / entry.name
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
    verdict, problem = judge_local(dest)
    if verdict is Local.VALID:
        return True, f"{entry.name}: present, not the public file; its layout is valid"
    if verdict is Local.UNKNOWN:
        return False, f"{entry.name}: present but its SHA-256 differs from the manifest"
    return False, problem
