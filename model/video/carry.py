"""Keyframes and carrying: the networks run where the optical flow cannot explain a frame.

Stylizing every frame costs a pass through the encoder and the decoder each. Most of a clip's
frames are the previous frame moved a little, so here the previous *output* frame is moved
along the input's optical flow (`model.video.temporal.Flow`) and only what the flow does not
explain goes through the networks:

- a **keyframe** goes through the networks whole and is blended with the previous output, as
  temporal blending does: O_t = (1 − w)·S_t + w·warp(O_(t−1)), w = `blend` × the blending's
  trust in the previous frame × the trust in the carried pixels (below);
- **between keyframes** the output is the previous output, warped; where the flow does not
  explain the frame (something came into view, was uncovered, changed) the networks run on
  crops around those pixels only, and the crops' stylization replaces the carried pixels by
  how little they are trusted. Steady colours make this possible: every frame is normalised
  with the clip's statistics, so a crop stylizes as the same part of the whole frame would
  (the crops are aligned to the encoder's 8-pixel grid, with a margin for its receptive
  field). Each call through the networks has a fixed cost, so the crops of many frames are
  packed side by side on a few canvases (`pack`) and go through together.

What the flow explains is judged against what the carried pixels were made from, not against
the previous input frame: a reference (the input, blurred, at the flow's size) is carried
along with the output and renewed by the same shares. So a slow change — a light coming up a
level a frame, the texture drifting as a zoom goes on — adds up until the pixels are made
again, rather than never counting.

A frame is a keyframe when it is the first, when more than KEY_AREA of it is unexplained (a
cut: the frame after a hard cut is a keyframe and, trusting nothing of the previous one, is its
own stylization), or when `interval` frames have passed since the last one (fresh strokes
against drift). So the interval adapts: every frame under a cut or a wild camera, every
`interval` frames of a still or smoothly moving scene.

All of this is planned from the input frames alone (`CarryPlanner`), so the planning can run
ahead of the networks in another thread (`ahead`): on a GPU the flow is computed beside the
networks, not between their batches.
"""

from __future__ import annotations

import itertools
import math
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

import numpy as np

from model.video.temporal import PRESET, WEIGHT, Flow, _Analysis

# At most this many frames between keyframes (0.5 s at 24 fps): chosen on the generated clips
# (`python -m model.video.bench`, docs/video.md).
INTERVAL = 12
# A frame with more than this share of its pixels unexplained is a keyframe.
KEY_AREA = 0.5
# A pixel is made again where the trust in its carried value is below this.
UNTRUSTED = 0.5
# Crops are grown by this many pixels on each side (the encoder's relu4_1 sees about that far
# in a way that changes its output) and aligned to GRID, the encoder's stride; the canvases
# they are packed on are a multiple of SHAPE high (few shapes, each prepared once).
MARGIN = 32
GRID = 8
SHAPE = 32
# Unexplained pixels are gathered by tiles of TILE pixels (at the flow's size); a tile with
# fewer than TILE_SHARE of its pixels unexplained is carried whole (the flow's noise).
TILE = 16
TILE_SHARE = 0.1
# Carrying judges the change along the flow more loosely than blending (whose worst case is a
# pixel a little less steady): a pixel is unexplained where its input changed by about this
# many levels, or the flow does not come back within LOOSE_PIXELS.
CARRY_LEVELS = 12.0
SPREAD = 2.0
MAX_CROPS = 24  # more regions than this are joined, those that cost the fewest pixels first

Box = tuple[int, int, int, int]  # left, top, right, bottom in frame pixels (right, bottom open)


@dataclass(frozen=True)
class FramePlan:
    """What one frame needs: whole through the networks (`key`), crops of it (`boxes`, which
    may overlap), or nothing; and how to compose its output from the previous one."""

    index: int
    key: bool
    boxes: tuple[Box, ...]
    # where each output pixel was in the previous output frame, (H, W) float32 each; None for
    # the first frame
    map_x: np.ndarray | None
    map_y: np.ndarray | None
    # the share of the new stylization in each output pixel, (H, W) float32; None: all of it
    fresh: np.ndarray | None

    @property
    def network_pixels(self) -> int:
        """Pixels this frame sends through the networks (key: the frame's)."""
        return sum((r - left) * (b - t) for left, t, r, b in self.boxes)


class CarryPlanner:
    """Decides, frame by frame from the input alone, what goes through the networks."""

    def __init__(self, cv2: ModuleType, blend: float = WEIGHT, interval: int = INTERVAL) -> None:
        if not 0.0 < blend < 1.0:
            raise ValueError(f"the blending weight must lie in (0, 1), got {blend}")
        if interval < 1:
            raise ValueError(f"the keyframe interval must be at least 1, got {interval}")
        self.cv2 = cv2
        self.blend = blend
        self.interval = interval
        self.dis = cv2.DISOpticalFlow.create(PRESET)
        self.prev: _Analysis | None = None
        self.reference: np.ndarray | None = None  # (h, w, 3) float32: what the output shows
        self.since_key = 0
        self.index = 0

    def plan(self, frame: np.ndarray) -> FramePlan:
        """The plan for the next frame, (H, W, 3) uint8 RGB, of the same size as the others."""
        cv2 = self.cv2
        height, width = frame.shape[:2]
        now = _Analysis.of(cv2, frame)
        index, self.index = self.index, self.index + 1
        if self.prev is None or self.reference is None:
            self.prev, self.reference, self.since_key = now, now.soft, 0
            return FramePlan(index, True, ((0, 0, width, height),), None, None, None)
        flow = Flow.between(cv2, self.dis, now, self.prev)
        carried = flow.moved(cv2, self.reference, cubic=True)
        carry_trust = flow.trust(cv2, now.soft, carried, CARRY_LEVELS, loose=True, spread=SPREAD)
        untrusted = carry_trust < UNTRUSTED
        self.since_key += 1
        boxes: tuple[Box, ...] = ()
        key = self.since_key >= self.interval or untrusted.mean() > KEY_AREA
        if not key:
            boxes = self._boxes(untrusted, width, height)
            key = sum((r - x) * (b - y) for x, y, r, b in boxes) > KEY_AREA * width * height
        if key:  # blended as temporal blending does, where the carried pixels still hold
            self.since_key = 0
            boxes = ((0, 0, width, height),)
            trust = flow.trust(cv2, now.soft, flow.moved(cv2, self.prev.soft))
            fresh_small = 1.0 - self.blend * trust * carry_trust
        else:
            fresh_small = np.zeros_like(carry_trust)
            if boxes:
                trust = flow.trust(cv2, now.soft, flow.moved(cv2, self.prev.soft))
                kept = self.blend * trust  # what a keyframe keeps of the carried pixels
            scale_x, scale_y = carry_trust.shape[1] / width, carry_trust.shape[0] / height
            for box in boxes:
                left, top, right, bottom = box
                rows = slice(math.floor(top * scale_y), math.ceil(bottom * scale_y))
                cols = slice(math.floor(left * scale_x), math.ceil(right * scale_x))
                # untrusted pixels are made again; deeper inside the crop, where it stylizes
                # as the whole frame would, the rest is renewed as a keyframe renews it
                inner = _inside(box, width, height, fresh_small[rows, cols].shape)
                held = carry_trust[rows, cols] * (1.0 - inner * (1.0 - kept[rows, cols]))
                fresh_small[rows, cols] = 1.0 - held
        # the reference follows the output: carried, and renewed where the output is made anew
        self.reference = carried + fresh_small[..., None] * (now.soft - carried)
        self.prev = now
        fresh, map_x, map_y = flow.to_frame(cv2, fresh_small, width, height)
        return FramePlan(index, key, boxes, map_x, map_y, fresh)

    def _boxes(self, untrusted: np.ndarray, width: int, height: int) -> tuple[Box, ...]:
        """Crops (frame pixels, aligned to GRID) covering the unexplained regions and MARGIN
        around them: the TILE-pixel tiles (at the flow's size) of which more than TILE_SHARE
        is unexplained, grown by the margin, then covered by boxes that do not overlap."""
        small_h, small_w = untrusted.shape
        rows, cols = math.ceil(small_h / TILE), math.ceil(small_w / TILE)
        padded = np.zeros((rows * TILE, cols * TILE), np.float32)
        padded[:small_h, :small_w] = untrusted
        share = padded.reshape(rows, TILE, cols, TILE).mean(axis=(1, 3))
        dirty = (share > TILE_SHARE).astype(np.uint8)
        if not dirty.any():
            return ()
        sx, sy = width / small_w * TILE, height / small_h * TILE  # a tile, in frame pixels
        reach_x, reach_y = math.ceil(MARGIN / sx), math.ceil(MARGIN / sy)
        grown = self.cv2.dilate(dirty, np.ones((2 * reach_y + 1, 2 * reach_x + 1), np.uint8))
        boxes = [
            _aligned((c0 * sx, r0 * sy, c1 * sx, r1 * sy), width, height)
            for r0, c0, r1, c1 in _cover(grown, 0, 0, rows, cols)
        ]
        while len(boxes) > MAX_CROPS:  # join the two whose joining adds the fewest pixels
            pairs = itertools.combinations(range(len(boxes)), 2)
            i, j = min(pairs, key=lambda ij: _cost(boxes[ij[0]], boxes[ij[1]]))
            joined = _union(boxes[i], boxes[j])
            boxes = [joined] + [b for k, b in enumerate(boxes) if k not in (i, j)]
        return tuple(boxes)


def _inside(box: Box, width: int, height: int, shape: tuple[int, ...]) -> np.ndarray:
    """(h, w) float32 over `box` at `shape`: 0 within MARGIN / 2 of a side of the crop that is
    not the frame's edge, rising to 1 at MARGIN: how far the crop's stylization there is the
    whole frame's (at the frame's edge the whole frame is cut off as the crop is)."""
    left, top, right, bottom = box
    rows, cols = shape
    ys = (np.arange(rows, dtype=np.float32) + 0.5) * (bottom - top) / rows
    xs = (np.arange(cols, dtype=np.float32) + 0.5) * (right - left) / cols
    far_y, far_x = np.full_like(ys, 1e9), np.full_like(xs, 1e9)
    dy = np.minimum(ys if top > 0 else far_y, (bottom - top) - ys if bottom < height else far_y)
    dx = np.minimum(xs if left > 0 else far_x, (right - left) - xs if right < width else far_x)
    ramp_y = np.clip((dy - MARGIN / 2) / (MARGIN / 2), 0.0, 1.0)
    ramp_x = np.clip((dx - MARGIN / 2) / (MARGIN / 2), 0.0, 1.0)
    return ramp_y[:, None] * ramp_x[None, :]


def _aligned(region: tuple[float, float, float, float], width: int, height: int) -> Box:
    """A region's box on the encoder's GRID, inside the frame."""
    left, top, right, bottom = region
    x0, y0 = (max(0, math.floor(v / GRID) * GRID) for v in (left, top))
    x1 = min(width, math.ceil(right / GRID) * GRID)
    y1 = min(height, math.ceil(bottom / GRID) * GRID)
    return x0, y0, x1, y1


def _area(box: Box) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])


def _union(a: Box, b: Box) -> Box:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _cost(a: Box, b: Box) -> int:
    """The pixels joining two boxes adds (counting their overlap once)."""
    overlap_w = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    overlap_h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    return _area(_union(a, b)) - _area(a) - _area(b) + overlap_w * overlap_h


def _cover(
    dirty: np.ndarray, r0: int, c0: int, r1: int, c1: int
) -> list[tuple[int, int, int, int]]:
    """Boxes of tiles (row, col, row end, col end) covering the dirty tiles of a part of the
    grid: the part's bounding box of them when they fill at least half of it, else the
    halves', split across the longer side (an L along two edges becomes two strips)."""
    part = dirty[r0:r1, c0:c1]
    rows, cols = np.nonzero(part)
    if rows.size == 0:
        return []
    r0, r1 = r0 + int(rows.min()), r0 + int(rows.max()) + 1
    c0, c1 = c0 + int(cols.min()), c0 + int(cols.max()) + 1
    if rows.size * 2 >= (r1 - r0) * (c1 - c0) or (r1 - r0, c1 - c0) == (1, 1):
        return [(r0, c0, r1, c1)]
    if c1 - c0 >= r1 - r0:
        mid = (c0 + c1) // 2
        return _cover(dirty, r0, c0, r1, mid) + _cover(dirty, r0, mid, r1, c1)
    mid = (r0 + r1) // 2
    return _cover(dirty, r0, c0, mid, c1) + _cover(dirty, mid, c0, r1, c1)


def compose(
    plan: FramePlan, previous: np.ndarray | None, stylized: list[np.ndarray], cv2: ModuleType
) -> np.ndarray:
    """The output frame, (H, W, 3) float32 unrounded, from the previous one and the
    stylization of each of `plan.boxes` ((h, w, 3) uint8 each, in order)."""
    if plan.map_x is None or plan.map_y is None or previous is None or plan.fresh is None:
        return stylized[0].astype(np.float32)
    # bicubic: bilinear, warped frame after frame, would blur a pan
    out = cv2.remap(
        previous, plan.map_x, plan.map_y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    if len(plan.boxes) == 1:
        (left, top, right, bottom), new = plan.boxes[0], stylized[0]
        part = out[top:bottom, left:right]
        part += plan.fresh[top:bottom, left:right, None] * (new.astype(np.float32) - part)
        return out
    # boxes may overlap: each pixel takes the last box's stylization, and is composed once
    canvas = out.copy()
    for (left, top, right, bottom), new in zip(plan.boxes, stylized, strict=True):
        canvas[top:bottom, left:right] = new
    out += plan.fresh[..., None] * (canvas - out)
    return out


Place = tuple[int, int, int]  # canvas, left, top


def pack(sizes: list[tuple[int, int]], width: int, height: int) -> tuple[list[Place], list[int]]:
    """Crops of `sizes` (w, h each, none wider than `width`) laid side by side on canvases
    `width` wide and at most `height` high (shelves, the tallest crops first; every crop at a
    multiple of GRID): where each goes, and each canvas's height (a multiple of SHAPE, or
    `height`). Each call through the networks has a fixed cost, so the crops of many frames
    go through together, a canvas at a time. A crop's margin keeps
    its neighbours on the canvas as far from its middle as the frame's own pixels around it
    were: what the networks make there is what they make of the crop alone."""
    order = sorted(range(len(sizes)), key=lambda k: (-sizes[k][1], -sizes[k][0]))
    places: list[Place] = [(0, 0, 0)] * len(sizes)
    used: list[int] = []  # the height used on each canvas
    canvas, shelf_top, shelf_h, x = -1, 0, 0, width  # no shelf yet
    for k in order:
        w, h = sizes[k]
        step = math.ceil(w / GRID) * GRID
        if x + w > width:  # a new shelf, on this canvas or the next
            shelf_top += math.ceil(shelf_h / GRID) * GRID
            if canvas < 0 or shelf_top + h > height:
                canvas, shelf_top = canvas + 1, 0
                used.append(0)
            x, shelf_h = 0, h
        places[k] = (canvas, x, shelf_top)
        used[canvas] = max(used[canvas], shelf_top + h)
        x += step
    heights = [min(height, math.ceil(u / SHAPE) * SHAPE) for u in used]
    return places, heights


T = TypeVar("T")


def ahead(items: Iterable[T], depth: int) -> Iterator[T]:
    """`items`, produced by a thread of their own up to `depth` ahead of the consumer (the
    producer's exceptions are raised here, in order)."""
    q: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put((True, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((False, None))
        except BaseException as exc:  # handed to the consumer
            q.put((False, exc))

    thread = threading.Thread(target=produce, name="clip-planner", daemon=True)
    thread.start()
    try:
        while True:
            more, value = q.get()
            if not more:
                if value is not None:
                    raise value
                return
            yield value
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting to put
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.05)
