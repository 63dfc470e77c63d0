"""One call from a clip and a style to a stylized clip: `stylize_clip`.

The steps, in order:

1. **Check the request** (alpha, kind, sizes, style weights) before anything is decoded.
2. **Probe** the clip (`model.video.probe`): refused with a ClipError before decoding when it
   is too long, too large, not a video, broken or in a codec FFmpeg cannot decode.
3. **Plan** the output frames (`model.video.frames`): the shorter side at `size` (even), a
   centred square of at most 640 for a video note, at most `max_fps` frames per second, and
   round(duration × fps) frames.
4. **Sample** frames evenly over the clip (one in eight, 4 to 16); with steady colours
   their pooled relu4_1 statistics normalise every frame (`model.video.steady`), and each
   stylized frame is blended with the previous output where the input's optical flow says
   the previous frame explains it (`model.video.temporal`).
5. **Style statistics**, once per clip: each style image prepared at `style_size` (and
   `stroke`) as for pictures; with `preserve_color` first recoloured (`Stylizer.match_colors`)
   to the colours of the sampled frames side by side, the whole clip's palette rather than
   one frame's; several styles mixed through their statistics (`adain.mix_stats`).
6. **Decode, stylize and encode** as a stream, `batch` frames at a time (fewer of frames
   larger than 640×360: `BATCH_PIXELS`), so memory holds a batch, not the clip;
   `progress(done, total)` after each batch.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from model import adain
from model.limits import CLIP_KINDS, ClipKind
from model.stylizer import StyleInput, Stylizer, style_pairs
from model.video.carry import INTERVAL
from model.video.encode import MAX_BYTES, VIDEO_NOTE_SIDE, encode_clip
from model.video.frames import decode_frames, plan_frames, sample_count, sample_frames
from model.video.probe import DEFAULT_MAX_SECONDS, ClipError, ClipSource, probe, read_clip
from model.video.steady import Progress, clip_stats, stylize_frames
from model.video.temporal import WEIGHT

log = logging.getLogger(__name__)

# Seconds per output pixel, end to end (decoding, samples, networks, carrying, encoding).
# CPU: the slowest generated clip of `python -m model.video.bench` end to end, the camera pan
# (keyframes every few frames), on the OpenVINO bf16 path, 2 threads of a Zen 4: 43.6 s for
# 96 frames of 640×360 (2.0 µs a pixel; the lighting change costs a third of that), scaled by the
# thread count, which is what the convolutions use. CUDA: a rough figure for a current
# data-centre GPU on the fp16 path, not yet measured.
SECONDS_PER_PIXEL = {"cpu": 2.0e-6 * 2, "cuda": 2.5e-8}
# The optical flow and the carrying's planning run on the CPU whatever the device: 40–58 ms a
# 640×360 frame on 2 threads of a Zen 3 shared with other jobs. On a GPU they run beside the
# networks, so a clip there takes the longer of the two.
FLOW_SECONDS_PER_PIXEL = 2.2e-7
FIXED_SECONDS = {"cpu": 2.0, "cuda": 1.0}  # decoding, the style, sampling, encoding
# At most this many pixels go through the networks at once: `batch` frames of 640×360, fewer
# of larger frames (2 of 1280×720, 1 of 1920×1080), so memory stays that of a 360p batch.
BATCH_PIXELS = 8 * 640 * 360


@dataclass(frozen=True)
class ClipResult:
    data: bytes  # the MP4
    kind: ClipKind
    width: int
    height: int
    duration: float  # seconds: frames / fps
    frames: int
    fps: float
    has_audio: bool


def stylize_clip(
    stylizer: Stylizer,
    clip_bytes: ClipSource,
    style: StyleInput,
    *,
    kind: str,
    alpha: float = 1.0,
    preserve_color: bool = False,
    size: int = 360,
    max_fps: float = 24,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    style_size: int = 512,
    stroke: float = 1.0,
    steady: bool = True,
    blend: float = WEIGHT,
    interval: int = INTERVAL,
    batch: int = 8,
    max_bytes: int = MAX_BYTES,
    progress: Progress | None = None,
) -> ClipResult:
    """Stylize a clip (bytes or a path) with one style image, or (image, weight) pairs.

    Raises ClipError for a clip it cannot use and ImageError for a style image. `blend` is
    the temporal blending's weight; with it, keyframes are at most `interval` frames apart and
    the frames between them are carried along the optical flow (`model.video.carry`). `blend=0`
    sends every frame through the networks with steady colours and carries nothing over;
    `steady=False` is per-frame AdaIN, each frame on its own (its own statistics, no
    blending), for comparison.
    """
    if kind not in CLIP_KINDS:  # a str, as job payloads carry it; narrowed to ClipKind here
        raise ValueError(f"kind must be one of {', '.join(CLIP_KINDS)}, got {kind!r}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    if not 0.0 <= blend < 1.0:
        raise ValueError(f"blend must lie in [0, 1), got {blend}")
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    if interval < 1:
        raise ValueError(f"interval must be at least 1, got {interval}")
    pairs = style_pairs(style)
    weights = adain.normalize_weights([w for _, w in pairs])
    data = read_clip(clip_bytes)
    info = probe(data, max_seconds=max_seconds)
    note = kind == "video_note"
    plan = plan_frames(
        info, size=size, max_fps=max_fps, square=note, max_side=VIDEO_NOTE_SIDE if note else None
    )
    with_sound = kind != "animation" and info.has_audio
    if with_sound and info.audio_codec is None:
        raise ClipError("unsupported", "the sound's codec is one FFmpeg cannot decode")
    start = time.perf_counter()
    batch = max(1, min(batch, BATCH_PIXELS // (plan.width * plan.height)))
    count = sample_count(plan.frames) if steady or preserve_color else 0
    samples = sample_frames(data, info, plan, count) if count else []
    reference = mosaic(samples) if preserve_color else None
    stats = [stylizer.style_stats_of(src, style_size, stroke, reference) for src, _ in pairs]
    mixed = adain.mix_stats(stats, weights)
    content = clip_stats(stylizer, samples, batch) if steady else None
    frames = (img for _, img in decode_frames(data, info, plan))
    stylized = stylize_frames(
        stylizer,
        frames,
        mixed,
        alpha,
        steady=steady,
        content_stats=content,
        blend=blend,
        interval=interval,
        batch=batch,
        total=plan.frames,
        progress=progress,
    )
    out = encode_clip(
        stylized,
        width=plan.width,
        height=plan.height,
        rate=plan.rate,
        duration=plan.duration,
        audio_from=data if with_sound else None,
        max_bytes=max_bytes,
    )
    log.info(
        "%s of %d frames %d×%d stylized in %.1f s (%s)",
        kind, out.frames, out.width, out.height, time.perf_counter() - start, stylizer.engine,
    )  # fmt: skip
    return ClipResult(
        out.data, kind, out.width, out.height, out.duration, out.frames, plan.fps, out.has_audio
    )


def estimate_seconds(frames: int, width: int, height: int, device: torch.device) -> float:
    """Roughly how long `stylize_clip` takes for `frames` output frames of width × height:
    a fixed part plus a measured cost per output pixel (on the CPU scaled by the inverse of
    torch's thread count; on a GPU at least the optical flow's, which runs beside it)."""
    kind = "cuda" if device.type == "cuda" else "cpu"
    per_pixel = SECONDS_PER_PIXEL[kind]
    if kind == "cpu":
        per_pixel /= max(1, torch.get_num_threads())
    else:
        per_pixel = max(per_pixel, FLOW_SECONDS_PER_PIXEL)
    return FIXED_SECONDS[kind] + frames * width * height * per_pixel


def mosaic(frames: list[Image.Image]) -> Image.Image:
    """Same-sized frames side by side in one image, so their colours count equally."""
    arr = np.concatenate([np.asarray(f.convert("RGB")) for f in frames], axis=1)  # (H, T·W, 3)
    return Image.fromarray(arr)
