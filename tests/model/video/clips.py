"""Clips made with PyAV for the tests: real files in real containers, a few frames each."""

from __future__ import annotations

import io
import struct
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from model.sample_images import natural_image

# Writing rotation metadata needs PyAV 18 (`Stream.set_display_rotation`); reading it is older.
can_rotate = hasattr(av.video.stream.VideoStream, "set_display_rotation")


def frame_pixels(kind: str, i: int, frames: int, width: int, height: int) -> np.ndarray:
    """(H, W, 3) uint8: `index` is a flat grey whose level tells the frame's index (steps of
    8); `band` is grey with a white band over the left quarter (to see rotations); `photo`
    pans over a photo-like picture."""
    if kind == "index":
        return np.full((height, width, 3), 8 * i + 4, np.uint8)
    if kind == "band":
        arr = np.full((height, width, 3), 60, np.uint8)
        arr[:, : width // 4] = 255
        return arr
    scene = natural_image(width + frames * 2, height, seed=3)
    return np.asarray(scene)[:, 2 * i : 2 * i + width].copy()


def video(
    width: int = 64,
    height: int = 48,
    frames: int = 12,
    fps: float = 12,
    *,
    fmt: str = "mp4",
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    audio: str | None = None,
    audio_seconds: float | None = None,
    rotation: int | None = None,
    content: str = "photo",
    faststart: bool = False,
) -> bytes:
    """A clip of `frames` frames at `fps`, with a 440 Hz tone of `audio_seconds` (default: as
    long as the video) in codec `audio` when given."""
    rate = Fraction(fps).limit_denominator(1001)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"clip.{fmt}"
        options = {"movflags": "+faststart"} if faststart else {}
        with av.open(str(path), mode="w", format=fmt, container_options=options) as out:
            stream = out.add_stream(codec, rate=rate)
            stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
            if rotation is not None:
                stream.set_display_rotation(rotation)
            sound = None
            if audio is not None:
                sound = out.add_stream(audio, rate=48000)
                sound.layout = "mono"
            for i in range(frames):
                arr = frame_pixels(content, i, frames, width, height)
                frame = av.VideoFrame.from_ndarray(arr, format="rgb24")
                frame.pts = i
                frame.time_base = 1 / rate
                out.mux(stream.encode(frame))
            out.mux(stream.encode())
            if sound is not None:
                seconds = frames / float(rate) if audio_seconds is None else audio_seconds
                _tone(out, sound, seconds)
        return path.read_bytes()


def _tone(out: av.container.OutputContainer, sound: av.audio.stream.AudioStream, seconds: float):
    rate = 48000
    total = round(rate * seconds)
    step = sound.codec_context.frame_size or 1024
    for start in range(0, total, step):
        n = min(step, total - start)
        t = np.arange(start, start + n) / rate
        samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]  # (1, n)
        frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
        frame.sample_rate, frame.pts = rate, start
        out.mux(sound.encode(frame))
    out.mux(sound.encode())


def audio_only(seconds: float = 1.0) -> bytes:
    """An M4A: AAC sound, no video stream."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sound.m4a"
        with av.open(str(path), mode="w", format="mp4") as out:
            sound = out.add_stream("aac", rate=48000)
            sound.layout = "mono"
            _tone(out, sound, seconds)
        return path.read_bytes()


def gif(width: int = 48, height: int = 32, frames: int = 6, ms: int = 100) -> bytes:
    """An animated GIF written by Pillow, `ms` per frame."""
    images = [
        Image.fromarray(frame_pixels("photo", i, frames, width, height)) for i in range(frames)
    ]
    buf = io.BytesIO()
    images[0].save(buf, "GIF", save_all=True, append_images=images[1:], duration=ms, loop=0)
    return buf.getvalue()


def gif_claiming(width: int, height: int) -> bytes:
    """A small GIF whose header claims `width` × `height` (a decompression bomb's trick)."""
    data = gif()
    return data[:6] + struct.pack("<HH", width, height) + data[10:]


def mkv_claiming(seconds: float) -> bytes:
    """A one-second Matroska clip whose header claims `seconds` (Segment Info Duration)."""
    data = video(fmt="matroska")
    at = data.find(b"\x44\x89\x88")  # the Duration element: an 8-byte float, in milliseconds
    assert at > 0, "no 8-byte Duration element in the Matroska header"
    return data[: at + 3] + struct.pack(">d", seconds * 1000.0) + data[at + 11 :]


def unknown_codec() -> bytes:
    """An MP4 whose video sample entry names a codec no one knows ('zzzz' for 'avc1')."""
    data = video()
    assert data.count(b"avc1") >= 1
    return data.replace(b"avc1", b"zzzz")


def frames_of(data: bytes) -> list[np.ndarray]:
    """Every decoded frame as (H, W, 3) uint8 RGB, in display order (no rotation applied)."""
    with av.open(io.BytesIO(data)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def streams_of(data: bytes) -> dict[str, str]:
    """{stream type: codec name} and the video's pixel format, of a clip."""
    with av.open(io.BytesIO(data)) as container:
        found = {s.type: s.codec_context.name for s in container.streams}
        if container.streams.video:
            found["pix_fmt"] = container.streams.video[0].codec_context.pix_fmt or ""
        return found
