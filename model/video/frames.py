"""Decoding a clip into RGB frames at the output size and frame rate.

`plan_frames` fixes the output once, from what `probe` found: the size (the shorter side scaled
to `size`, both sides even, as H.264 in yuv420p needs; a centred square for video notes), the
frame rate (the source's, capped at `max_fps`) and the frame count, round(duration × fps), so
the clip keeps its length. `decode_frames` then yields the frames one by one: output frame k
shows the source frame on screen at k / fps (the latest that started by then, within half a
source frame), so a 30 fps clip capped at 24 drops every fifth frame evenly and a variable
frame rate comes out constant. Frames are turned as the rotation metadata says.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from av.video.frame import VideoFrame
from PIL import Image

from model.images import MIN_SIDE
from model.video.probe import ClipError, ClipInfo, open_clip, video_stream

# Frames are stylized whole (never in tiles), so `size=0` keeps the source only up to this
# many pixels; a 4K source is scaled down to fit.
MAX_FRAME_PIXELS = 1920 * 1080
SAMPLES = 16  # at most this many frames sampled across a clip for its statistics


@dataclass(frozen=True)
class FramePlan:
    """The output frames: their size, rate and count."""

    width: int  # even
    height: int  # even
    rate: Fraction  # frames per second
    frames: int
    square: bool  # a centred square crop (video notes)

    @property
    def fps(self) -> float:
        return float(self.rate)

    @property
    def duration(self) -> float:
        return float(self.frames / self.rate)


def plan_frames(
    info: ClipInfo,
    *,
    size: int = 360,
    max_fps: float = 24,
    square: bool = False,
    max_side: int | None = None,
    max_pixels: int = MAX_FRAME_PIXELS,
) -> FramePlan:
    """The output of a clip: the shorter side scaled to `size` (0 keeps the source's, up to
    `max_pixels`) and at most `max_side`, even; `square` crops the centre square."""
    if size and size < MIN_SIDE:
        raise ValueError(f"size must be 0 or at least {MIN_SIDE}, got {size}")
    if max_fps <= 0:
        raise ValueError(f"max_fps must be positive, got {max_fps}")
    short, long = sorted((info.width, info.height))
    side = size if size > 0 else short
    if max_side is not None:
        side = min(side, max_side)
    if square:
        side = min(side, math.isqrt(max_pixels))
        width = height = max(2, side - side % 2)
    else:
        side = min(side, math.floor(math.sqrt(max_pixels * short / long)))
        short_out = max(2, side - side % 2)  # down to even: never above `size`
        long_out = _even(long * short_out / short)
        while short_out * long_out > max_pixels:
            short_out -= 2
            long_out = _even(long * short_out / short)
        landscape = info.width >= info.height
        width, height = (long_out, short_out) if landscape else (short_out, long_out)
    cap = Fraction(max_fps).limit_denominator(1001)
    rate = min(info.rate, cap)
    frames = max(1, round(info.duration * rate))
    return FramePlan(width, height, rate, frames, square)


def _even(value: float) -> int:
    return max(2, 2 * round(value / 2))


def decode_frames(
    data: bytes, info: ClipInfo, plan: FramePlan, *, only: Collection[int] | None = None
) -> Iterator[tuple[int, Image.Image]]:
    """(k, frame k) for every output frame, or only for the indices in `only`, in order.

    A damaged tail ends decoding where it starts, and the last good frame is held to the end,
    so the clip keeps its length; a clip none of whose frames decode is `broken`.
    """
    half_frame = 1 / (2 * float(info.rate))
    k = 0
    held: VideoFrame | None = None
    image: Image.Image | None = None  # `held` converted, once it has been
    with open_clip(data) as container:
        stream = video_stream(container)
        stream.thread_type = "AUTO"
        first = last = None
        try:
            for frame in container.decode(stream):
                time = frame.time if frame.time is not None else (last or 0.0) + 2 * half_frame
                first = time if first is None else first
                last = time
                # the output frames due before this frame starts show the one held
                due = time - first - half_frame
                while held is not None and k < plan.frames and k / plan.fps < due:
                    if only is None or k in only:
                        image = image or _image(held, info, plan)
                        yield k, image
                    k += 1
                if k >= plan.frames:
                    return
                held, image = frame, None
        except av.FFmpegError:
            if held is None:
                raise ClipError("broken", "the video is damaged and cannot be decoded") from None
        if held is None:
            raise ClipError("broken", "not one frame of the video can be decoded")
        for rest in range(k, plan.frames):  # a damaged or short tail: hold the last frame
            if only is None or rest in only:
                image = image or _image(held, info, plan)
                yield rest, image


def sample_count(frames: int) -> int:
    """How many frames to sample for a clip's statistics: about one in eight, 4 to SAMPLES.

    Each costs an extra encoder pass; 4 spread over a one-second clip describe it as well as
    16 do, and 16 are 4 % of the encoder passes of 15 s at 24 fps."""
    return min(SAMPLES, max(4, frames // 8), frames)


def sample_indices(total: int, count: int = SAMPLES) -> list[int]:
    """Up to `count` output frame indices spread evenly over [0, total), ends included."""
    if total <= count:
        return list(range(total))
    return sorted({round(i * (total - 1) / (count - 1)) for i in range(count)})


def sample_frames(
    data: bytes, info: ClipInfo, plan: FramePlan, count: int = SAMPLES
) -> list[Image.Image]:
    """Up to `count` frames spread evenly over the whole clip (only those are converted)."""
    wanted = set(sample_indices(plan.frames, count))
    return [img for _, img in decode_frames(data, info, plan, only=wanted)]


def _image(frame: VideoFrame, info: ClipInfo, plan: FramePlan) -> Image.Image:
    """One decoded frame as an RGB image of the plan's size, turned for display."""
    width, height = plan.width, plan.height
    if plan.square:  # scale the shorter side to the square's side, then crop the centre
        short, long = sorted((info.width, info.height))
        long_side = max(width, round(long * width / short))
        width, height = (long_side, width) if info.width >= info.height else (width, long_side)
    turned = info.rotation in (90, 270)
    coded = (height, width) if turned else (width, height)
    down = coded[0] * coded[1] < frame.width * frame.height
    rgb = frame.reformat(
        width=coded[0],
        height=coded[1],
        format="rgb24",
        interpolation="AREA" if down else "BICUBIC",
    ).to_ndarray()  # (h, w, 3) uint8
    arr = np.rot90(rgb, k=info.rotation // 90) if info.rotation else rgb  # counter-clockwise
    if plan.square:
        top, left = (arr.shape[0] - plan.height) // 2, (arr.shape[1] - plan.width) // 2
        arr = arr[top : top + plan.height, left : left + plan.width]
    return Image.fromarray(np.ascontiguousarray(arr))
