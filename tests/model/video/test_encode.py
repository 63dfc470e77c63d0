"""The MP4 writer: H.264 yuv420p at the output rate, within a byte budget, the sound kept."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from PIL import Image

from model.video.encode import CONTAINER_BYTES, encode_clip, video_bitrate
from model.video.probe import probe
from tests.model.video import clips


def noise(width: int, height: int, frames: int) -> list[Image.Image]:
    """Frames of random noise: the worst case for a bit rate."""
    rng = np.random.default_rng(0)
    return [
        Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
        for _ in range(frames)
    ]


def test_frames_become_h264_at_the_given_rate() -> None:
    out = encode_clip(noise(64, 48, 6), width=64, height=48, rate=Fraction(12), duration=0.5)
    assert (out.width, out.height, out.frames, out.has_audio) == (64, 48, 6, False)
    assert out.duration == pytest.approx(0.5)
    assert clips.streams_of(out.data) == {"video": "h264", "pix_fmt": "yuv420p"}
    info = probe(out.data)
    assert info.frames == 6 and info.fps == pytest.approx(12) and info.duration == 0.5


def test_odd_sides_are_refused() -> None:
    with pytest.raises(ValueError, match="even"):
        encode_clip(noise(63, 48, 1), width=63, height=48, rate=Fraction(12), duration=0.1)


def test_the_file_stays_under_its_byte_budget() -> None:
    frames = noise(256, 192, 24)  # 2 s at 12 fps
    free = encode_clip(frames, width=256, height=192, rate=Fraction(12), duration=2.0)
    budget = 30_000
    capped = encode_clip(
        frames, width=256, height=192, rate=Fraction(12), duration=2.0, max_bytes=budget
    )
    assert len(free.data) > budget  # without the budget, noise takes more
    assert len(capped.data) <= budget and probe(capped.data).frames == 24


def test_the_bit_rate_spreads_the_budget_and_caps_quality() -> None:
    rate = video_bitrate(15.0, 640, 360, 24, max_bytes=1_000_000, audio_bits=800_000)
    assert rate * (15.0 + 1.0) + 800_000 + CONTAINER_BYTES * 8 <= 1_000_000 * 8
    assert video_bitrate(15.0, 640, 360, 24) == pytest.approx(0.4 * 640 * 360 * 24, rel=0.01)


def test_aac_sound_is_copied_as_long_as_it_was() -> None:
    source = clips.video(64, 48, frames=18, fps=12, audio="aac", audio_seconds=1.5)
    frames = [Image.fromarray(f) for f in clips.frames_of(source)]
    out = encode_clip(
        frames, width=64, height=48, rate=Fraction(12), duration=1.5, audio_from=source
    )
    assert out.has_audio and clips.streams_of(out.data)["audio"] == "aac"
    assert probe(out.data).audio_duration == pytest.approx(probe(source).audio_duration)


def test_other_sound_is_transcoded_to_aac_of_the_same_length() -> None:
    source = clips.video(64, 48, frames=12, fps=12, fmt="matroska", audio="libopus")
    frames = [Image.fromarray(f) for f in clips.frames_of(source)]
    out = encode_clip(
        frames, width=64, height=48, rate=Fraction(12), duration=1.0, audio_from=source
    )
    assert clips.streams_of(out.data)["audio"] == "aac"
    assert probe(out.data).audio_duration == pytest.approx(
        probe(source).audio_duration, abs=1 / 12
    )


def test_aac_from_mpeg_ts_is_copied_too() -> None:
    source = clips.video(64, 48, frames=12, fps=12, fmt="mpegts", audio="aac")
    frames = [Image.fromarray(f) for f in clips.frames_of(source)]
    out = encode_clip(
        frames, width=64, height=48, rate=Fraction(12), duration=1.0, audio_from=source
    )
    assert probe(out.data).audio_duration == pytest.approx(probe(source).audio_duration)
