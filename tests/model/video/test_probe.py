"""`probe`: what a clip is, read without decoding it, and each unusable clip's ClipError code."""

from __future__ import annotations

import pytest

from model.video.probe import ClipError, probe
from tests.helpers import image_bytes, natural_image
from tests.model.video import clips


def code(data: bytes, **kwargs: float) -> str:
    with pytest.raises(ClipError) as caught:
        probe(data, **kwargs)
    assert str(caught.value) and "\n" not in str(caught.value)  # one sentence for the user
    return caught.value.code


def test_describes_a_video_with_sound() -> None:
    info = probe(clips.video(64, 48, frames=18, fps=12, audio="aac"))
    assert (info.width, info.height, info.rotation) == (64, 48, 0)
    assert info.frames == 18 and info.fps == pytest.approx(12) and info.rate == 12
    assert info.duration == pytest.approx(1.5)
    assert info.video_codec == "h264"
    assert info.has_audio and info.audio_codec == "aac"
    assert info.audio_duration == pytest.approx(1.5, abs=0.05)


def test_a_silent_gif_has_its_own_timing() -> None:
    info = probe(clips.gif(48, 32, frames=6, ms=100))
    assert (info.width, info.height) == (48, 32) and info.frames == 6
    assert info.duration == pytest.approx(0.6) and info.fps == pytest.approx(10)
    assert not info.has_audio and info.audio_codec is None


@pytest.mark.skipif(not clips.can_rotate, reason="PyAV cannot write rotation")
def test_rotation_metadata_gives_the_displayed_size() -> None:
    info = probe(clips.video(64, 48, frames=2, rotation=90))
    assert info.rotation == 90 and (info.width, info.height) == (48, 64)


def test_a_clip_longer_than_allowed_is_too_long() -> None:
    assert code(clips.video(frames=24, fps=12), max_seconds=1.0) == "too_long"


def test_a_header_that_claims_hours_is_too_long() -> None:
    assert code(clips.mkv_claiming(3 * 3600)) == "too_long"


def test_sound_without_video_is_no_video() -> None:
    assert code(clips.audio_only(1.0)) == "no_video"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_still_picture_is_no_video(fmt: str) -> None:
    assert code(image_bytes(natural_image(64, 48), fmt)) == "no_video"


@pytest.mark.parametrize(
    "data",
    [b"", b"this is a text file, not a video\n" * 20, clips.gif()[:40]],
    ids=["empty", "text", "truncated-gif"],
)
def test_what_ffmpeg_cannot_open_is_broken(data: bytes) -> None:
    assert code(data) == "broken"


def test_a_truncated_mp4_is_broken() -> None:
    data = clips.video(frames=12)  # the index at the end: cut, it is gone
    assert code(data[: len(data) // 2]) == "broken"


def test_an_index_without_frames_is_broken() -> None:
    data = clips.video(frames=12, faststart=True)  # the index first, then the frames
    mdat = data.find(b"mdat")
    assert code(data[: mdat + 4]) == "broken"


def test_a_picture_claiming_8000_by_8000_is_too_large() -> None:
    assert code(clips.gif_claiming(8000, 8000)) == "too_large"


def test_the_pixel_limit_is_per_frame() -> None:
    data = clips.video(64, 48, frames=2)
    assert probe(data, max_pixels=64 * 48).frames == 2
    assert code(data, max_pixels=64 * 48 - 1) == "too_large"


def test_a_codec_ffmpeg_does_not_know_is_unsupported() -> None:
    assert code(clips.unknown_codec()) == "unsupported"


def test_tiny_frames_are_too_small() -> None:
    assert code(clips.gif_claiming(8, 8)) == "too_small"
