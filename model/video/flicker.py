"""How much a stylized clip flickers, as figures a benchmark prints and a test compares.

`flicker`: mean |S_t − S_(t−1)| / mean |I_t − I_(t−1)| over a clip, the stylized frames' change
from one frame to the next relative to the input's. A stylization that changes where and as
much as its input does scores about 1 (strokes that move with the content count too); global
colour pumping, which changes every pixel while few of the input's change, scores high. Frames
that do not change at all (a still clip) leave it undefined: `flicker` raises then.

`warping_error` (needs `opencv-python-headless`): the input's optical flow from frame t to
t − 1 (OpenCV's DIS, which needs no weights) warps S_(t−1) onto frame t, and the mean
|S_t − warp(S_(t−1))| over the pixels whose flow is consistent both ways is averaged over the
clip, in 8-bit levels (Lai et al., 2018, with an absolute error). It counts only what moving
content does not explain.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

import numpy as np
from PIL import Image

# Forward and backward flow that disagree by more than this many pixels mark an occlusion.
CONSISTENCY_PX = 1.0


def _arrays(frames: Sequence[Image.Image]) -> np.ndarray:
    return np.stack([np.asarray(f.convert("RGB"), dtype=np.float32) for f in frames])


def frame_change(frames: Sequence[Image.Image]) -> float:
    """Mean |F_t − F_(t−1)| over all frames and pixels, in 8-bit levels."""
    if len(frames) < 2:
        raise ValueError("a change between frames needs at least two frames")
    arr = _arrays(frames)  # (T, H, W, 3)
    return float(np.abs(np.diff(arr, axis=0)).mean())


def flicker(stylized: Sequence[Image.Image], inputs: Sequence[Image.Image]) -> float:
    """mean |S_t − S_(t−1)| / mean |I_t − I_(t−1)| of two clips of the same frames."""
    if len(stylized) != len(inputs):
        raise ValueError(f"{len(stylized)} stylized frames for {len(inputs)} input frames")
    base = frame_change(inputs)
    if base == 0.0:
        raise ValueError("the input frames do not change, so flicker is undefined")
    return frame_change(stylized) / base


def has_optical_flow() -> bool:
    """Whether OpenCV (opencv-python-headless) is installed, for `warping_error`."""
    return importlib.util.find_spec("cv2") is not None


def warping_error(stylized: Sequence[Image.Image], inputs: Sequence[Image.Image]) -> float:
    """Mean |S_t − warp(S_(t−1))| over flow-consistent pixels, in 8-bit levels (needs cv2)."""
    import cv2  # optional: only this figure needs it

    if len(stylized) != len(inputs) or len(inputs) < 2:
        raise ValueError("warping error needs two clips of the same frames, two at least")
    dis = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    grey = [cv2.cvtColor(np.asarray(f.convert("RGB")), cv2.COLOR_RGB2GRAY) for f in inputs]
    out = _arrays(stylized)  # (T, H, W, 3)
    replicate = cv2.BORDER_REPLICATE
    height, width = grey[0].shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    errors = []
    for t in range(1, len(inputs)):
        back = dis.calc(grey[t], grey[t - 1], np.zeros((height, width, 2), np.float32))
        fwd = dis.calc(grey[t - 1], grey[t], np.zeros((height, width, 2), np.float32))
        map_x, map_y = xs + back[..., 0], ys + back[..., 1]
        warped = cv2.remap(out[t - 1], map_x, map_y, cv2.INTER_LINEAR, borderMode=replicate)
        # back then forward should return to the start where nothing is occluded
        fwd_at = cv2.remap(fwd, map_x, map_y, cv2.INTER_LINEAR, borderMode=replicate)
        loop = np.linalg.norm(back + fwd_at, axis=2)
        inside = (map_x >= 0) & (map_x <= width - 1) & (map_y >= 0) & (map_y <= height - 1)
        mask = (loop < CONSISTENCY_PX) & inside
        if mask.any():
            errors.append(float(np.abs(out[t] - warped)[mask].mean()))
    if not errors:
        raise ValueError("no pixel has a consistent flow between the frames")
    return float(np.mean(errors))
