"""Temporal blending: the strokes stop shimmering, the picture still moves, new things show."""

from __future__ import annotations

import logging
import sys

import numpy as np
import pytest
from PIL import Image

from model import adain
from model.sample_images import natural_image
from model.stylizer import Stylizer
from model.video import synthetic, temporal
from model.video.flicker import flicker, warping_error
from model.video.steady import clip_stats, stylize_frames


@pytest.fixture(scope="module")
def style(stylizer: Stylizer) -> adain.Stats:
    return stylizer.style_stats(natural_image(128, 128, seed=5))


def noisy_still(width: int, height: int, frames: int) -> list[np.ndarray]:
    """A fixed camera on a photo with sensor noise (σ = 2 levels): (H, W, 3) uint8 frames."""
    base = np.asarray(synthetic.scene(width, height))[:height, :width].astype(np.float32)
    rng = np.random.default_rng(0)
    return [
        np.clip(base + rng.normal(0, 2, base.shape), 0, 255).round().astype(np.uint8)
        for _ in range(frames)
    ]


def arrays(images: list[Image.Image]) -> list[np.ndarray]:
    return [np.asarray(im, np.float32) for im in images]


def test_strokes_shimmer_far_less_under_a_camera_pan(
    stylizer: Stylizer, style: adain.Stats
) -> None:
    """The warping error counts what the content's own motion does not explain. Measured on
    random weights at 160×96, 12 frames: ours 0.49 of per-frame (0.31 at 640×360 and 24
    frames, `python -m model.video.bench`)."""
    frames = synthetic.camera_motion(160, 96, 12)
    ours = list(stylize_frames(stylizer, frames, style, 1.0, batch=4))
    per_frame = list(stylize_frames(stylizer, frames, style, 1.0, steady=False, batch=4))
    assert len(ours) == 12 and all(im.size == (160, 96) for im in ours)
    mine, theirs = warping_error(ours, frames), warping_error(per_frame, frames)
    assert mine < 0.65 * theirs, (mine, theirs)


def test_a_still_scene_with_sensor_noise_flickers_half_as_much(
    stylizer: Stylizer, style: adain.Stats
) -> None:
    """Per-frame, the decoder answers the noise anew every frame; blended, the answers are
    averaged. Measured at 160×96, 8 frames: 0.42 of per-frame's flicker."""
    frames = synthetic.still_scene(160, 96, 8)
    ours = list(stylize_frames(stylizer, frames, style, 1.0, batch=4))
    per_frame = list(stylize_frames(stylizer, frames, style, 1.0, steady=False, batch=4))
    mine, theirs = flicker(ours, frames), flicker(per_frame, frames)
    assert mine < 0.6 * theirs, (mine, theirs)


def test_an_object_that_appears_is_shown_on_its_first_frame(
    stylizer: Stylizer, style: adain.Stats
) -> None:
    """A noisy still room; on frame 4 a dark shape appears and stays. On that frame the
    shape's pixels are the network's own (nothing of the wall behind it is mixed in), while
    the wall around it, which did not change, is blended."""
    width, height, appears = 128, 96, 4
    room = noisy_still(width, height, 7)
    ys, xs = np.mgrid[0:height, 0:width]
    shape = (xs - 64) ** 2 + (ys - 48) ** 2 < 24**2
    for arr in room[appears:]:
        arr[shape] = arr[shape] // 4
    frames = [Image.fromarray(a) for a in room]
    stats = clip_stats(stylizer, frames)
    ours = arrays(list(stylize_frames(stylizer, frames, style, 1.0, content_stats=stats)))
    alone = arrays(
        list(stylize_frames(stylizer, frames, style, 1.0, content_stats=stats, blend=0))
    )
    inner = (xs - 64) ** 2 + (ys - 48) ** 2 < 18**2  # away from the shape's edge
    wall = ~((xs - 64) ** 2 + (ys - 48) ** 2 < 40**2)

    def gap(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
        return float(np.abs(a - b)[where].mean())

    assert gap(ours[appears], alone[appears], inner) < 1.0  # the shape, as stylized
    appeared = gap(ours[appears], ours[appears - 1], inner)
    stylized = gap(alone[appears], alone[appears - 1], inner)
    assert stylized > 10 and appeared > 0.9 * stylized
    assert gap(ours[appears - 1], alone[appears - 1], wall) > 1.0  # the wall is blended


@pytest.mark.parametrize("width, height", [(160, 96), (704, 400)])  # 400: flow at 360
def test_the_picture_moves_with_the_content_and_keeps_its_detail(width: int, height: int) -> None:
    """A pan, 3 px a frame, whose "stylization" is the frame itself plus a shimmer that
    changes every frame (6.3 levels from the frame): blended, the shimmer is averaged away
    and what is left matches the current frame, 3.1 levels from it (3.2 when the flow runs on
    frames scaled down). Blending with the previous output held in place instead of warped
    would trail earlier frames: 8 levels."""
    cv2 = temporal.optical_flow()
    assert cv2 is not None
    wide = np.asarray(synthetic.scene(width + 8 * 3, height))[:height]
    frames = [wide[:, 3 * t : 3 * t + width].copy() for t in range(8)]
    rng = np.random.default_rng(1)
    stylized = [
        np.clip(f + rng.normal(0, 8, f.shape), 0, 255).round().astype(np.uint8) for f in frames
    ]
    blender = temporal.TemporalBlend(cv2)
    out = [blender(f, s) for f, s in zip(frames, stylized, strict=True)]
    inner = np.s_[8:-8, 8:-8]  # the pan brings new content in at the right edge
    for t in range(4, 8):
        left = np.abs(out[t].astype(np.float32) - frames[t])[inner].mean()
        before = np.abs(stylized[t].astype(np.float32) - frames[t])[inner].mean()
        assert left < 0.6 * before, (t, left, before)


def test_blending_off_leaves_every_frame_as_the_networks_give_it(
    stylizer: Stylizer, style: adain.Stats
) -> None:
    """blend=0: each frame is exactly what it is stylized on its own with the clip's
    statistics; blending on changes the frames after the first, not their number or size."""
    frames = synthetic.still_scene(64, 48, 4)
    stats = clip_stats(stylizer, frames)

    def run(clip: list[Image.Image], blend: float) -> list[Image.Image]:
        out = stylize_frames(stylizer, clip, style, 1.0, content_stats=stats, blend=blend, batch=1)
        return list(out)

    off = run(frames, 0.0)
    on = run(frames, 0.7)
    assert [im.tobytes() for im in off] == [run([f], 0.0)[0].tobytes() for f in frames]
    assert len(on) == 4 and all(im.size == (64, 48) for im in on)
    assert on[0].tobytes() == off[0].tobytes()
    assert all(a.tobytes() != b.tobytes() for a, b in zip(on[1:], off[1:], strict=True))


def test_without_opencv_clips_are_stylized_unblended_with_one_warning(
    stylizer: Stylizer,
    style: adain.Stats,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    frames = synthetic.still_scene(48, 32, 3)
    stats = clip_stats(stylizer, frames)
    off = list(stylize_frames(stylizer, frames, style, 1.0, content_stats=stats, blend=0))
    monkeypatch.setitem(sys.modules, "cv2", None)  # `import cv2` raises ImportError
    temporal.optical_flow.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="model.video.temporal"):
            for _ in range(2):
                out = list(stylize_frames(stylizer, frames, style, 1.0, content_stats=stats))
                assert [im.tobytes() for im in out] == [im.tobytes() for im in off]
    finally:
        temporal.optical_flow.cache_clear()  # OpenCV again for the tests after this one
    warnings = [r for r in caplog.records if r.name == "model.video.temporal"]
    assert len(warnings) == 1 and "opencv-python-headless" in warnings[0].getMessage()


def test_a_blend_weight_outside_0_to_1_is_refused(stylizer: Stylizer, style: adain.Stats) -> None:
    frames = synthetic.still_scene(48, 32, 2)
    with pytest.raises(ValueError, match="blend"):
        list(stylize_frames(stylizer, frames, style, 1.0, blend=1.0))
