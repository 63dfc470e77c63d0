"""Frames at the output size and rate: shorter side at `size` (even), the rate capped by dropping
frames evenly, the clip's length kept, rotation honoured."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from model.video.frames import decode_frames, plan_frames, sample_frames, sample_indices
from model.video.probe import ClipInfo, probe
from tests.model.video import clips


def decoded(data: bytes, **plan_args: Any) -> tuple[ClipInfo, list[np.ndarray]]:
    info = probe(data)
    plan = plan_frames(info, **plan_args)
    return info, [np.asarray(img) for _, img in decode_frames(data, info, plan)]


def index_of(frame: np.ndarray) -> int:
    """The source frame an `index` frame came from (its grey level is 8·i + 4)."""
    return round((float(frame.mean()) - 4) / 8)


def test_a_30_fps_clip_capped_at_12_drops_frames_evenly_and_keeps_its_length() -> None:
    data = clips.video(64, 48, frames=30, fps=30, content="index")  # 1 s
    info = probe(data)
    plan = plan_frames(info, size=48, max_fps=12)
    assert plan.fps == 12 and plan.frames == 12 and plan.duration == pytest.approx(1.0)
    shown = [index_of(np.asarray(img)) for _, img in decode_frames(data, info, plan)]
    # output frame k shows the source frame on screen at k/12 s: within half a source frame
    assert all(abs(i - k * 30 / 12) <= 0.5 for k, i in enumerate(shown))
    gaps = np.diff(shown)
    assert set(gaps.tolist()) <= {2, 3}  # even: never two frames in a row, never a long gap


def test_a_clip_under_the_cap_keeps_every_frame_in_order() -> None:
    data = clips.video(64, 48, frames=10, fps=10, content="index")
    _, frames = decoded(data, size=48, max_fps=24)
    assert [index_of(f) for f in frames] == list(range(10))


@pytest.mark.parametrize(
    ("source", "size", "expected"),
    [
        ((64, 48), 48, (64, 48)),
        ((64, 48), 49, (64, 48)),  # an odd side rounds down to even
        ((48, 64), 36, (36, 48)),  # portrait
        ((100, 48), 30, (62, 30)),  # 62.5 → the nearest even
        ((64, 48), 0, (64, 48)),  # 0 keeps the source
    ],
)
def test_the_shorter_side_is_size_and_both_sides_are_even(
    source: tuple[int, int], size: int, expected: tuple[int, int]
) -> None:
    info, frames = decoded(clips.video(*source, frames=2), size=size)
    assert frames[0].shape[1::-1] == expected
    assert all(side % 2 == 0 for side in expected)


def test_size_zero_keeps_at_most_the_frame_pixel_limit() -> None:
    info = probe(clips.video(64, 48, frames=2))
    plan = plan_frames(info, size=0, max_pixels=32 * 24)
    assert plan.width * plan.height <= 32 * 24 and plan.width % 2 == plan.height % 2 == 0


def test_a_video_note_is_a_centred_square_of_at_most_640() -> None:
    info, frames = decoded(clips.video(96, 64, frames=2), size=48, square=True)
    assert frames[0].shape[:2] == (48, 48)
    big = plan_frames(probe(clips.gif_claiming(1280, 720)), size=0, square=True, max_side=640)
    assert (big.width, big.height) == (640, 640)


@pytest.mark.skipif(not clips.can_rotate, reason="PyAV cannot write rotation")
def test_rotation_metadata_turns_the_frames() -> None:
    data = clips.video(64, 48, frames=2, rotation=90, content="band")  # white band: left
    info, frames = decoded(data, size=48)
    assert frames[0].shape[:2] == (64, 48)  # displayed portrait
    # 90° counter-clockwise: the coded frame's left edge is the displayed bottom
    assert frames[0][-8:].mean() > 200 and frames[0][:8].mean() < 120


def test_a_gif_keeps_its_timing() -> None:
    data = clips.gif(48, 32, frames=6, ms=100)
    info = probe(data)
    plan = plan_frames(info, size=32, max_fps=24)
    out = list(decode_frames(data, info, plan))
    assert len(out) == plan.frames == 6 and plan.duration == pytest.approx(info.duration)


def test_samples_spread_over_the_whole_clip() -> None:
    assert sample_indices(100, 16)[0] == 0 and sample_indices(100, 16)[-1] == 99
    assert len(sample_indices(100, 16)) == 16 and sample_indices(5, 16) == [0, 1, 2, 3, 4]
    data = clips.video(64, 48, frames=24, fps=24, content="index")
    info = probe(data)
    plan = plan_frames(info, size=48)
    picked = [index_of(np.asarray(img)) for img in sample_frames(data, info, plan, count=4)]
    assert picked == [0, 8, 15, 23]
