"""The flicker figures: frame-to-frame change relative to the input's, and the warping error."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from model.video import synthetic
from model.video.flicker import flicker, frame_change, has_optical_flow, warping_error


def shifted(frames: int, step: int = 2) -> list[Image.Image]:
    """A photo-like picture moving `step` pixels right per frame."""
    wide = np.asarray(synthetic.scene(96 + frames * step, 64))[:64]
    return [Image.fromarray(wide[:, i * step : i * step + 96].copy()) for i in range(frames)]


def test_a_copy_of_the_input_flickers_as_much_as_it_changes() -> None:
    frames = shifted(4)
    assert flicker(frames, frames) == pytest.approx(1.0)


def test_a_frozen_output_does_not_flicker() -> None:
    frames = shifted(4)
    assert flicker([frames[0]] * 4, frames) == 0.0


def test_noise_on_every_frame_flickers() -> None:
    frames = shifted(4, step=1)  # slow motion: noise, not motion, makes most of the change
    rng = np.random.default_rng(0)
    noisy = [
        Image.fromarray(
            np.clip(np.asarray(f) + rng.normal(0, 20, (64, 96, 3)), 0, 255).astype(np.uint8)
        )
        for f in frames
    ]
    assert flicker(noisy, frames) > 2 * flicker(frames, frames)
    assert frame_change(noisy) > frame_change(frames)


def test_flicker_of_a_clip_that_never_changes_is_undefined() -> None:
    still = [synthetic.scene(96, 64)] * 3
    with pytest.raises(ValueError, match="do not change"):
        flicker(still, still)


@pytest.mark.skipif(not has_optical_flow(), reason="opencv-python-headless is not installed")
def test_warping_error_forgives_motion_and_counts_the_rest() -> None:
    frames = shifted(4)
    moving = warping_error(frames, frames)  # the output moves exactly with the input
    frozen = warping_error([frames[0]] * 4, frames)  # the output does not follow it
    assert moving < 2.0 and frozen > 2 * moving
