"""Temporal blending: each stylized frame leans on the previous output, moved with the content.

Shared statistics (`steady.py`) keep the colours still, but the decoder still answers every
small change of its input — a pan by a fraction of a pixel, sensor noise — with strokes that
shimmer from one frame to the next. Here each stylized frame S_t is blended with the previous
output frame O_(t−1), warped onto frame t by the input's optical flow (OpenCV's DIS, which
needs no weights):

    O_t = (1 − w)·S_t + w·warp(O_(t−1))

w is `weight` where the previous frame explains this one, and falls to 0 where it does not:

- the flow must agree both ways (forward after backward returns to the start, within about
  a tenth of the flow's length plus 0.7 px); where it does not, the pixel was hidden in the
  previous frame (an occlusion, or content that just came into view);
- the input must not have changed along the flow: w falls with |I_t − warp(I_(t−1))| (on
  slightly blurred frames, so that sensor noise counts as no change), so something that
  appears, or a light that comes on, is shown as stylized on the frame it appears in;
- the pixel must have been inside the previous frame.

So the output moves with the content (the previous output is warped, not held), new content is
never mixed with what was there before, a cut starts afresh, and the shimmer of still or
smoothly moving content is averaged over about (1 + w)/(1 − w) frames. The flow is computed on
the input frames, at most FLOW_SIDE pixels on the shorter side.

`opencv-python-headless` is a dependency of the package; where it is missing anyway,
`make_blender` logs one warning and the frames go out unblended.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# Chosen on the generated clips (`python -m model.video.bench`, docs/video.md): 0.7 cuts the
# warping error to a third under a pan and the flicker of a still scene by half, and an old
# frame's share of the output falls under a tenth after 7 frames. 0.8 gains a little and lags
# more; 0.6 leaves the still scene's flicker above half.
WEIGHT = 0.7
# The input change, in 8-bit levels on frames blurred by BLUR_SIGMA, at which w has fallen to
# 1/e of `weight`: a 1-level change (sensor noise, once blurred) keeps 94 % of it, the tens of
# levels of an object appearing switch it off.
CHANGE_LEVELS = 4.0
BLUR_SIGMA = 1.5
# Forward–backward check: |f + b|² < FB_RELATIVE·(|f|² + |b|²) + FB_PIXELS² (Sundaram et al.).
FB_RELATIVE = 0.01
FB_PIXELS = 0.7
LOOSE_PIXELS = 2.0
# DIS's "fast" preset: about 7 ms a flow at 640×360 on two Zen 3 threads; "medium" costs 5×
# for little less warping error; "ultrafast" leaves a tenth more of it.
PRESET = 1  # cv2.DISOPTICAL_FLOW_PRESET_FAST
# Frames larger than this (shorter side) are analysed scaled down: the flow's cost stays that
# of a 360p frame. At the product's 360p the flow is full size: at half size, it leaves 40 %
# more warping error under a pan.
FLOW_SIDE = 360


@functools.cache
def optical_flow() -> ModuleType | None:
    """OpenCV, or None (with one warning per process) where it is not installed."""
    try:
        import cv2
    except ImportError:
        log.warning(
            "opencv-python-headless is not installed: clips are stylized without temporal "
            "blending, so their strokes shimmer more"
        )
        return None
    return cv2


def make_blender(weight: float) -> TemporalBlend | None:
    """A blender with `weight`, or None when `weight` is 0 or OpenCV is missing."""
    if weight == 0.0:
        return None
    cv2 = optical_flow()
    return None if cv2 is None else TemporalBlend(cv2, weight)


class TemporalBlend:
    """Blends each stylized frame with the previous output, warped; call it frame by frame."""

    def __init__(self, cv2: ModuleType, weight: float = WEIGHT) -> None:
        if not 0.0 < weight < 1.0:
            raise ValueError(f"the blending weight must lie in (0, 1), got {weight}")
        self.cv2 = cv2
        self.weight = weight
        self.dis = cv2.DISOpticalFlow.create(PRESET)
        self.prev: _Analysis | None = None  # the previous input frame, as the flow sees it
        self.prev_output: np.ndarray | None = None  # (H, W, 3) float32, not rounded

    def __call__(self, frame: np.ndarray, stylized: np.ndarray) -> np.ndarray:
        """The output frame, (H, W, 3) uint8, for the input `frame` and its stylization, both
        (H, W, 3) uint8 RGB of one size."""
        cv2 = self.cv2
        now = _Analysis.of(cv2, frame)
        out = stylized.astype(np.float32)
        prev_out = self.prev_output
        if self.prev is not None and prev_out is not None and prev_out.shape == out.shape:
            w, map_x, map_y = self._weights(now, self.prev, out.shape[1], out.shape[0])
            # bicubic: bilinear, warped frame after frame, would blur a pan by a tenth
            warped = cv2.remap(
                prev_out, map_x, map_y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
            )
            out += w[..., None] * (warped - out)
        self.prev, self.prev_output = now, out
        return np.clip(out, 0, 255).round().astype(np.uint8)

    def _weights(
        self, now: _Analysis, prev: _Analysis, width: int, height: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """w, and where each output pixel was in the previous frame (x, y): (H, W) each."""
        flow = Flow.between(self.cv2, self.dis, now, prev)
        w = flow.trust(self.cv2, now.soft, flow.moved(self.cv2, prev.soft)) * self.weight
        return flow.to_frame(self.cv2, w, width, height)


@dataclass(frozen=True)
class Flow:
    """Where each pixel of a frame was in the previous one, at the analysis' size: `map_x`,
    `map_y` (h, w) float32, and `keep`, (h, w) bool: the flow agrees both ways and points
    inside the previous frame."""

    map_x: np.ndarray
    map_y: np.ndarray
    keep: np.ndarray
    # (h, w) bool: within LOOSE_PIXELS of the previous frame, and forward after backward
    # within that too (what carrying asks of the flow: it checks the result as well)
    loose: np.ndarray
    back_x: np.ndarray  # the flow itself, map − grid
    back_y: np.ndarray

    @classmethod
    def between(cls, cv2: ModuleType, dis: Any, now: _Analysis, prev: _Analysis) -> Flow:
        small_h, small_w = now.grey.shape
        xs, ys = _grid(small_w, small_h)
        # back: for each pixel of this frame, where it was in the previous one; fwd: the other
        # way, to check it. The channels are split because numpy's reductions over a last axis
        # of 2 or 3 cost more than the flow itself.
        back = dis.calc(now.grey, prev.grey, None)  # (h, w, 2)
        back_x, back_y = cv2.split(back)
        map_x, map_y = xs + back_x, ys + back_y
        fwd = cv2.remap(dis.calc(prev.grey, now.grey, None), map_x, map_y, cv2.INTER_LINEAR)
        fwd_x, fwd_y = cv2.split(fwd)
        loop = np.square(back_x + fwd_x) + np.square(back_y + fwd_y)
        spread = np.square(back_x) + np.square(back_y) + np.square(fwd_x) + np.square(fwd_y)
        bound = FB_RELATIVE * spread
        inside = (map_x >= 0) & (map_x <= small_w - 1) & (map_y >= 0) & (map_y <= small_h - 1)
        keep = (loop < bound + (FB_PIXELS * now.scale) ** 2) & inside
        # loosely: a pixel at the edge may come from a little beyond it (its neighbour's value)
        slack = LOOSE_PIXELS * now.scale
        near = (map_x >= -slack) & (map_x <= small_w - 1 + slack)
        near &= (map_y >= -slack) & (map_y <= small_h - 1 + slack)
        loose = (loop < bound + slack**2) & near
        return cls(map_x, map_y, keep, loose, back_x, back_y)

    def moved(self, cv2: ModuleType, image: np.ndarray, cubic: bool = False) -> np.ndarray:
        """`image` of the previous frame (at the analysis' size) moved onto this one (bicubic:
        blurs less where it is moved frame after frame)."""
        how = cv2.INTER_CUBIC if cubic else cv2.INTER_LINEAR
        return cv2.remap(image, self.map_x, self.map_y, how, borderMode=cv2.BORDER_REPLICATE)

    def trust(
        self,
        cv2: ModuleType,
        soft: np.ndarray,
        moved: np.ndarray,
        levels: float = CHANGE_LEVELS,
        loose: bool = False,
        spread: float = 0.0,
    ) -> np.ndarray:
        """(h, w) float32 in [0, 1]: 1 where the flow explains `soft` from `moved` (both
        (h, w, 3) float32, blurred; `moved` already moved onto this frame), falling with the
        largest channel's change (exp(−(Δ / levels)²)), 0 where `keep` (or `loose`) is not.
        `spread` > 0 averages the change, with its sign, over a Gaussian of that σ first: a
        texture moved a fraction of a pixel off changes both ways and averages out, something
        that came or went changes one way and does not."""
        if spread > 0.0:
            diff = cv2.GaussianBlur(cv2.subtract(soft, moved), (0, 0), spread)
            red, green, blue = cv2.split(np.abs(diff))
        else:
            red, green, blue = cv2.split(cv2.absdiff(soft, moved))
        change = cv2.max(cv2.max(red, green), blue)  # (h, w), 8-bit levels
        w = np.exp(-np.square(change / levels))
        w[~(self.loose if loose else self.keep)] = 0.0
        return w

    def to_frame(
        self, cv2: ModuleType, w: np.ndarray, width: int, height: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`w` (h, w) and the map, at the frame's size: (H, W) each, the map in its pixels."""
        small_h, small_w = w.shape
        if (small_w, small_h) == (width, height):
            return w, self.map_x, self.map_y
        size = (width, height)
        w = cv2.resize(w, size, interpolation=cv2.INTER_LINEAR)
        back_x, back_y = (
            cv2.resize(c, size, interpolation=cv2.INTER_LINEAR) for c in (self.back_x, self.back_y)
        )
        full_x, full_y = _grid(width, height)
        return w, full_x + back_x * (width / small_w), full_y + back_y * (height / small_h)


@dataclass(frozen=True)
class _Analysis:
    """One input frame as the flow sees it: grey, and colour blurred a little, at `scale` of
    the frame's size (the shorter side at most FLOW_SIDE)."""

    grey: np.ndarray  # (h, w) uint8
    soft: np.ndarray  # (h, w, 3) float32
    scale: float

    @classmethod
    def of(cls, cv2: ModuleType, frame: np.ndarray) -> _Analysis:
        height, width = frame.shape[:2]
        scale = min(1.0, FLOW_SIDE / min(height, width))
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        soft = cv2.GaussianBlur(frame.astype(np.float32), (0, 0), BLUR_SIGMA * scale)
        return cls(grey, soft, scale)


@functools.cache
def _grid(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates x and y, (height, width) float32 each (never written to)."""
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    xs.flags.writeable = ys.flags.writeable = False  # shared by every blender of this size
    return xs, ys
