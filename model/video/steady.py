"""Steady colours: AdaIN over a clip with content statistics shared by all its frames.

Per-frame AdaIN (the AdaIN authors' and the PyTorch port's video scripts) normalises each frame
by its own content statistics, σ(y)·(x − μ(x))/σ(x) + μ(y). When something bright enters the
frame, or the camera pans from sky to ground, μ(x) and σ(x) move, and so does the colour of
every pixel, the still ones too: the colours pump. Here the content statistics are the clip's:
the channel mean and std of the relu4_1 features over frames sampled from the whole clip
(pooled, as if they were one image), optionally blended with a running estimate that follows
slow changes. Every frame is normalised alike, so a pixel that does not change does not change
colour. The style statistics are computed once per clip by the caller.

Shared statistics cannot stop the decoder's strokes from shimmering as the content moves or
the sensor's noise changes; with steady colours, each stylized frame is then blended with the
previous output, moved along the input's optical flow, where the previous frame explains this
one (`model.video.temporal`, `blend`).

The frames go through `Stylizer.networks` in batches, as `Stylizer.encode`/`render` run them:
float32 [0, 1] input on the stylizer's device, float32 features, statistics and AdaIN, and the
decoder's output clamped and rounded to 8 bits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from model import adain, tiling
from model.adain import Stats
from model.networks import decode
from model.stylizer import Stylizer
from model.video import carry
from model.video.frames import sample_count, sample_indices
from model.video.temporal import WEIGHT, TemporalBlend, make_blender, optical_flow

Progress = Callable[[int, int], None]


def frames_tensor(frames: Sequence[Image.Image], device: torch.device) -> Tensor:
    """Same-sized RGB images → (N, 3, H, W) float32 in [0, 1] on `device` (as `to_tensor`)."""
    arr = np.stack([np.asarray(f.convert("RGB"), dtype=np.uint8) for f in frames])  # (N, H, W, 3)
    # uint8 crosses to the device, a quarter of the bytes of float32
    return torch.from_numpy(arr).to(device).permute(0, 3, 1, 2).float().div_(255.0)


@torch.inference_mode()
def encode_frames(stylizer: Stylizer, frames: Sequence[Image.Image]) -> Tensor:
    """relu4_1 features (N, 512, ⌈H/8⌉, ⌈W/8⌉), float32, of same-sized frames in one batch."""
    encoder, _ = stylizer.networks
    return encoder(frames_tensor(frames, stylizer.device)).float()


def clip_stats(stylizer: Stylizer, frames: Sequence[Image.Image], batch: int = 8) -> Stats:
    """Channel mean and std of the features of `frames` pooled together, each (1, C, 1, 1)."""
    if not frames:
        raise ValueError("clip statistics need at least one frame")
    pooled: tiling.RunningStats | None = None
    for start in range(0, len(frames), batch):
        feat = encode_frames(stylizer, frames[start : start + batch])  # (N, C, h, w)
        if pooled is None:
            pooled = tiling.RunningStats(feat.shape[1], feat.device)
        for one in feat.split(1):
            pooled.add(one)
    assert pooled is not None  # frames is not empty
    return pooled.mean_std()


def stylize_frames(
    stylizer: Stylizer,
    frames: Iterable[Image.Image],
    style_stats: Stats,
    alpha: float,
    *,
    steady: bool = True,
    content_stats: Stats | None = None,
    adapt: float = 0.0,
    momentum: float = 0.8,
    blend: float = WEIGHT,
    interval: int = carry.INTERVAL,
    batch: int = 8,
    total: int | None = None,
    progress: Progress | None = None,
    threaded: bool | None = None,
) -> Iterator[Image.Image]:
    """Stylize same-sized frames in order, `batch` at a time, with (mixed) style statistics.

    `steady` normalises every frame with the clip's `content_stats` (when not given, computed
    here from frames sampled as `stylize_clip` samples them: pass a Sequence then); `adapt` in
    [0, 1] blends in a running estimate of the frames' own statistics (an exponential average
    with `momentum` per frame), for clips whose content changes too much for one set.
    `blend` in [0, 1) is how much of the previous output, warped, a pixel that the previous
    frame explains keeps (`model.video.temporal`; 0 turns the blending off). With blending,
    at most `interval` frames pass between keyframes: only keyframes go through the networks
    whole, the frames between them are the previous output carried along the flow, with crops
    through the networks where the flow does not explain the frame (`model.video.carry`;
    `interval=1`: every frame through the networks, blended). `threaded` plans the carrying
    (the optical flow) in a thread beside the networks (default: on a GPU).
    `steady=False` is the per-frame baseline: each frame on its own, with its own statistics
    and no blending. `progress(done, total)` is called after each batch; `total` defaults to
    len(frames).
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    if not 0.0 <= adapt <= 1.0 or not 0.0 <= momentum < 1.0:
        raise ValueError(f"need 0 <= adapt <= 1 and 0 <= momentum < 1, got {adapt}, {momentum}")
    if not 0.0 <= blend < 1.0:
        raise ValueError(f"blend must lie in [0, 1), got {blend}")
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    if total is None and isinstance(frames, Sequence):
        total = len(frames)
    if steady and content_stats is None:
        if not isinstance(frames, Sequence):
            raise ValueError("steady colours need content_stats, or the frames as a sequence")
        picked = sample_indices(len(frames), sample_count(len(frames)))
        content_stats = clip_stats(stylizer, [frames[i] for i in picked], batch)
    if steady and blend > 0.0 and interval > 1 and adapt == 0.0 and optical_flow() is not None:
        if threaded is None:
            threaded = stylizer.device.type == "cuda"
        yield from _carried(
            stylizer, frames, style_stats, alpha, content_stats, blend, interval, batch,
            total, progress, threaded,
        )  # fmt: skip
        return
    blender = make_blender(blend) if steady else None
    running = content_stats
    done = 0
    chunk: list[Image.Image] = []
    for frame in frames:
        chunk.append(frame)
        if len(chunk) < batch:
            continue
        out, running = _stylize_batch(
            stylizer, chunk, style_stats, alpha, content_stats, running, adapt, momentum
        )
        yield from _finish(chunk, out, blender)
        done += len(chunk)
        chunk = []
        if progress is not None:
            progress(done, max(done, total or 0))
    if chunk:
        out, running = _stylize_batch(
            stylizer, chunk, style_stats, alpha, content_stats, running, adapt, momentum
        )
        yield from _finish(chunk, out, blender)
        done += len(chunk)
        if progress is not None:
            progress(done, max(done, total or 0))


LOOKAHEAD = 2  # the carrying path holds at most this many batches of frames ahead


def _carried(
    stylizer: Stylizer,
    frames: Iterable[Image.Image],
    style_stats: Stats,
    alpha: float,
    content_stats: Stats | None,
    blend: float,
    interval: int,
    batch: int,
    total: int | None,
    progress: Progress | None,
    threaded: bool,
) -> Iterator[Image.Image]:
    """Keyframes through the networks, the frames between them carried (`model.video.carry`).

    Frames are planned in order; once `batch` keyframes (or LOOKAHEAD × `batch` frames) are
    planned, the keyframes and the crops go through the networks in batches of one size each,
    and the planned frames are composed and yielded in order."""
    cv2 = optical_flow()
    assert cv2 is not None  # checked by the caller
    planner = carry.CarryPlanner(cv2, blend, interval)

    def plans() -> Iterator[tuple[Image.Image, carry.FramePlan]]:
        for frame in frames:
            rgb = frame.convert("RGB")
            yield rgb, planner.plan(np.asarray(rgb))

    planned: Iterator[tuple[Image.Image, carry.FramePlan]] = plans()
    if threaded:
        planned = carry.ahead(planned, LOOKAHEAD * batch)
    previous: np.ndarray | None = None
    done = 0
    window: list[tuple[Image.Image, carry.FramePlan]] = []

    def stylize(pictures: list[Image.Image]) -> np.ndarray:
        return _stylize_batch(
            stylizer, pictures, style_stats, alpha, content_stats, None, 0.0, 0.0
        )[0]

    def flush() -> Iterator[Image.Image]:
        nonlocal previous, done
        # the keyframes whole, and the crops of every other frame of the window packed onto
        # canvases of the frame's width (each call has a fixed cost, which a small crop alone
        # would pay for few pixels); pictures of one size go through `batch` at a time
        pictures: list[Image.Image] = [frame for frame, plan in window if plan.key]
        keys = len(pictures)  # the canvases follow the keyframes
        crops = [
            (i, box) for i, (_, plan) in enumerate(window) if not plan.key for box in plan.boxes
        ]
        sizes = [(right - left, bottom - top) for _, (left, top, right, bottom) in crops]
        places: list[carry.Place] = []
        if crops:
            width, height = window[0][0].size
            places, heights = carry.pack(sizes, width, height)
            canvases = [Image.new("RGB", (width, h)) for h in heights]
            for (i, box), (c, x, y) in zip(crops, places, strict=True):
                canvases[c].paste(window[i][0].crop(box), (x, y))
            pictures += canvases
        painted: list[np.ndarray] = [np.empty(0)] * len(pictures)
        for size in {picture.size for picture in pictures}:
            same = [k for k, picture in enumerate(pictures) if picture.size == size]
            for start in range(0, len(same), batch):
                chunk = same[start : start + batch]
                out = stylize([pictures[k] for k in chunk])
                for k, pixels in zip(chunk, out, strict=True):
                    painted[k] = pixels
        made_key = iter(painted[:keys])
        parts = [[next(made_key)] if plan.key else [] for _, plan in window]
        for (i, _), (w, h), (c, x, y) in zip(crops, sizes, places, strict=True):
            parts[i].append(painted[keys + c][y : y + h, x : x + w])
        for (_, plan), made in zip(window, parts, strict=True):
            previous = carry.compose(plan, previous, made, cv2)
            yield Image.fromarray(np.clip(previous, 0, 255).round().astype(np.uint8))
        done += len(window)
        window.clear()
        if progress is not None:
            progress(done, max(done, total or 0))

    for item in planned:
        window.append(item)
        if sum(p.key for _, p in window) >= batch or len(window) >= LOOKAHEAD * batch:
            yield from flush()
    if window:
        yield from flush()


def _finish(
    frames: Sequence[Image.Image], stylized: np.ndarray, blender: TemporalBlend | None
) -> Iterator[Image.Image]:
    """The output images of a batch: (N, H, W, 3) uint8, blended in order when asked."""
    for frame, arr in zip(frames, stylized, strict=True):
        if blender is not None:
            arr = blender(np.asarray(frame.convert("RGB")), arr)
        yield Image.fromarray(arr)


@torch.inference_mode()
def _stylize_batch(
    stylizer: Stylizer,
    frames: Sequence[Image.Image],
    style_stats: Stats,
    alpha: float,
    clip: Stats | None,
    running: Stats | None,
    adapt: float,
    momentum: float,
) -> tuple[np.ndarray, Stats | None]:
    """The decoder's 8-bit output (N, H, W, 3) uint8, and the running estimate after it."""
    _, decoder = stylizer.networks
    width, height = frames[0].size
    feat = encode_frames(stylizer, frames)  # (N, C, h, w) float32
    style_mean, style_std = (s.to(feat.device, torch.float32) for s in style_stats)
    if clip is None:  # per frame: each frame's own statistics
        target = adain.adain_stats(feat, style_mean, style_std)
    else:
        mean, std, running = _content_stats(feat, clip, running, adapt, momentum)
        scale = style_std / std  # (·, C, 1, 1): one pass over the features, not four
        target = torch.addcmul(style_mean - mean * scale, feat, scale)
    target = adain.blend(target, feat, alpha)
    out = decode(decoder, target, height, width)  # (N, 3, H, W), the fast dtype on that path
    pixels = out.float().clamp(0, 1).mul(255).round().to(torch.uint8)  # as `to_image`
    return pixels.permute(0, 2, 3, 1).cpu().numpy(), running  # (N, H, W, 3)


def _content_stats(
    feat: Tensor, clip: Stats, running: Stats | None, adapt: float, momentum: float
) -> tuple[Tensor, Tensor, Stats | None]:
    """(mean, std) to normalise each frame of the batch with, (N, C, 1, 1) or (1, C, 1, 1),
    and the running estimate after the batch."""
    clip_mean, clip_std = (s.to(feat.device) for s in clip)
    if adapt == 0.0 or running is None:
        return clip_mean, clip_std, running
    frame_mean, frame_std = adain.mean_std(feat)  # (N, C, 1, 1) each
    run_mean, run_std = (s.to(feat.device) for s in running)
    means, stds = [], []
    for i in range(feat.shape[0]):  # the running estimate goes frame by frame, in order
        run_mean = momentum * run_mean + (1 - momentum) * frame_mean[i : i + 1]
        run_std = momentum * run_std + (1 - momentum) * frame_std[i : i + 1]
        means.append((1 - adapt) * clip_mean + adapt * run_mean)
        stds.append((1 - adapt) * clip_std + adapt * run_std)
    return torch.cat(means), torch.cat(stds), (run_mean, run_std)
