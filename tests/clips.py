"""Short clips for tests, made with PyAV: an animation without sound, a video with an AAC track,
a square video note; and bad ones (no video stream, truncated, a header that claims hours)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

from tests.helpers import natural_image


@dataclass(frozen=True)
class ClipInfo:
    frames: int
    fps: float
    duration: float  # seconds of video
    width: int
    height: int
    audio_seconds: float  # 0: no sound


def make_clip(
    seconds: float = 1.0,
    fps: int = 8,
    width: int = 96,
    height: int = 64,
    *,
    audio: bool = False,
    seed: int = 0,
) -> bytes:
    """An H.264 MP4 panning over a photo-like picture (with a sine tone when ``audio``)."""
    picture = np.asarray(natural_image(width * 2, height, seed=seed))
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast"}
        sound = out.add_stream("aac", rate=22050) if audio else None
        frames = round(seconds * fps)
        for i in range(frames):
            left = int(i * width / max(1, frames))
            frame = av.VideoFrame.from_ndarray(picture[:, left : left + width].copy(), "rgb24")
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if sound is not None:
            rate, chunk = 22050, 1024
            samples = np.sin(np.arange(int(seconds * rate)) * 2 * np.pi * 440 / rate) * 0.3
            for start in range(0, len(samples), chunk):
                part = samples[start : start + chunk].astype(np.float32)[None, :]
                block = av.AudioFrame.from_ndarray(part, format="fltp", layout="mono")
                block.sample_rate = rate
                block.pts = start
                block.time_base = Fraction(1, rate)
                out.mux(sound.encode(block))
            out.mux(sound.encode(None))
    return buf.getvalue()


def audio_only(seconds: float = 1.0) -> bytes:
    """An MP4 with sound and no picture."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        sound = out.add_stream("aac", rate=22050)
        rate = 22050
        samples = np.zeros((1, int(seconds * rate)), dtype=np.float32)
        block = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        block.sample_rate = rate
        out.mux(sound.encode(block))
        out.mux(sound.encode(None))
    return buf.getvalue()


def probe(data: bytes) -> ClipInfo:
    """What a clip holds, counted frame by frame."""
    with av.open(io.BytesIO(data)) as clip:
        stream = clip.streams.video[0]
        frames = sum(1 for _ in clip.decode(stream))
        fps = float(stream.average_rate or 0)
        width, height = stream.codec_context.width, stream.codec_context.height
        duration = float(stream.duration * stream.time_base) if stream.duration else frames / fps
    audio_seconds = 0.0
    with av.open(io.BytesIO(data)) as clip:
        if clip.streams.audio:
            sound = clip.streams.audio[0]
            samples = sum(f.samples for f in clip.decode(sound))
            audio_seconds = samples / sound.rate
    return ClipInfo(frames, fps, duration, width, height, audio_seconds)
