"""`stylize_clip`: a clip and a style in, an MP4 of the kind asked for out, or a ClipError."""

from __future__ import annotations

import pytest
import torch

from model.images import ImageError
from model.sample_images import natural_image
from model.stylizer import Stylizer
from model.video import ClipError, estimate_seconds, probe, stylize_clip
from tests.helpers import image_bytes
from tests.model.video import clips

STYLE = image_bytes(natural_image(64, 64, seed=2), "PNG")


def test_an_animation_at_a_capped_rate_keeps_its_length(stylizer: Stylizer) -> None:
    source = clips.video(96, 64, frames=30, fps=15, audio="aac")  # 2 s with sound
    calls: list[tuple[int, int]] = []
    out = stylize_clip(
        stylizer, source, STYLE, kind="animation", size=48, max_fps=10, style_size=64,
        batch=8, progress=lambda done, total: calls.append((done, total)),
    )  # fmt: skip
    assert (out.kind, out.width, out.height, out.fps) == ("animation", 72, 48, 10)
    assert out.frames == 20 and out.duration == pytest.approx(2.0, abs=1 / 10)
    assert not out.has_audio and clips.streams_of(out.data) == {
        "video": "h264",
        "pix_fmt": "yuv420p",
    }
    info = probe(out.data)
    assert (info.width, info.height, info.frames) == (72, 48, 20)
    assert info.fps == pytest.approx(10) and info.duration == pytest.approx(2.0, abs=1 / 10)
    # after each window of frames through the networks (carried frames come in windows of
    # up to two batches)
    assert len(calls) >= 2 and calls[-1] == (20, 20)
    assert all(a[0] < b[0] for a, b in zip(calls, calls[1:], strict=False)), calls


def test_a_video_keeps_its_sound_as_long_as_it_was(stylizer: Stylizer) -> None:
    source = clips.video(64, 48, frames=12, fps=8, audio="aac", audio_seconds=1.5)
    out = stylize_clip(stylizer, source, STYLE, kind="video", size=48, style_size=64)
    assert out.has_audio and out.frames == 12 and out.fps == 8
    found, given = probe(out.data), probe(source)
    assert found.audio_codec == "aac"
    assert found.audio_duration == pytest.approx(given.audio_duration, abs=1 / 8)
    assert out.duration == pytest.approx(given.duration, abs=1 / 8)


def test_a_video_without_sound_is_silent(stylizer: Stylizer) -> None:
    out = stylize_clip(stylizer, clips.video(frames=4), STYLE, kind="video", size=48)
    assert not out.has_audio and "audio" not in clips.streams_of(out.data)


def test_a_video_note_is_square_with_its_sound(stylizer: Stylizer) -> None:
    source = clips.video(96, 64, frames=8, fps=8, audio="aac")
    out = stylize_clip(stylizer, source, STYLE, kind="video_note", size=56, style_size=64)
    assert (out.width, out.height) == (56, 56) and out.has_audio
    assert (probe(out.data).width, probe(out.data).height) == (56, 56)


def test_a_mix_of_styles_with_preserved_colors_and_per_frame_mode(stylizer: Stylizer) -> None:
    second = image_bytes(natural_image(64, 64, seed=7), "PNG")
    source = clips.gif(48, 32, frames=4)
    for steady in (True, False):
        out = stylize_clip(
            stylizer, source, [(STYLE, 0.7), (second, 0.3)], kind="animation", size=32,
            alpha=0.6, preserve_color=True, steady=steady, style_size=64,
        )  # fmt: skip
        assert (out.width, out.height, out.frames) == (48, 32, 4)


@pytest.mark.parametrize(
    ("data", "max_seconds", "code"),
    [
        (clips.video(frames=24, fps=12), 1.0, "too_long"),
        (clips.audio_only(0.5), 15.0, "no_video"),
        (b"GIF89a and then nothing", 15.0, "broken"),
        (clips.unknown_codec(), 15.0, "unsupported"),
        (clips.gif_claiming(8000, 8000), 15.0, "too_large"),
    ],
    ids=["too_long", "no_video", "broken", "unsupported", "too_large"],
)
def test_unusable_clips_raise_their_code(
    stylizer: Stylizer, data: bytes, max_seconds: float, code: str
) -> None:
    with pytest.raises(ClipError) as caught:
        stylize_clip(stylizer, data, STYLE, kind="video", size=48, max_seconds=max_seconds)
    assert caught.value.code == code


def test_a_bad_style_is_an_image_error_and_a_bad_request_a_value_error(
    stylizer: Stylizer,
) -> None:
    source = clips.video(frames=2)
    with pytest.raises(ImageError):
        stylize_clip(stylizer, source, b"not a picture", kind="video", size=48)
    with pytest.raises(ValueError, match="kind"):
        stylize_clip(stylizer, source, STYLE, kind="sticker", size=48)
    with pytest.raises(ValueError, match="alpha"):
        stylize_clip(stylizer, source, STYLE, kind="video", size=48, alpha=1.5)


def test_the_estimate_grows_with_frames_and_pixels() -> None:
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    small = estimate_seconds(24, 640, 360, cpu)
    assert 0 < small < estimate_seconds(48, 640, 360, cpu) < estimate_seconds(48, 1280, 720, cpu)
    assert estimate_seconds(360, 640, 360, gpu) < estimate_seconds(360, 640, 360, cpu)
