"""Generated test clips: camera motion, a lighting change and an almost still scene.

Real footage cannot ship with the code. These move a virtual camera over one picture — a
scikit-image photograph where scikit-image is installed (the `dev` extra), else a generated
photo-like image (`model.sample_images.natural_image`) — so that the true motion is smooth and
known, and what a stylization adds from frame to frame is flicker.

- `camera_motion`: a pan across the scene with a slow zoom in, the content in view changing as
  it goes (what makes per-frame statistics, and so per-frame colours, drift).
- `lighting_change`: a brightness ramp where the light falls: a window in a dim, still room
  brightening while the rest stays as it was (what makes per-frame statistics, and so the
  colours of the whole frame, pump). A uniform gain over the whole frame would not: per-frame
  AdaIN normalises it away, steady colours keep it, as the input has it.
- `object_enters`: a dark shape walking into a still scene and stopping.
- `still_scene`: a fixed camera with sensor noise and one small object crossing the view.

`clip_bytes` writes frames as an H.264 MP4 for tests that need a real file; so does the
command line, for trying the clip commands on them:

    python -m model.video.synthetic NAME OUT.mp4 [--seconds 4] [--size 360] [--seed 0]
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from model.sample_images import natural_image

CLIPS = ("camera_motion", "lighting_change", "object_enters", "still_scene")


def scene(width: int, height: int, seed: int = 0) -> Image.Image:
    """A picture of at least width × height: scikit-image's coffee photograph where installed,
    else a generated photo-like image."""
    try:
        import skimage.data
    except ImportError:
        return natural_image(width, height, seed=seed)
    photo = Image.fromarray(skimage.data.coffee())  # 600×400
    scale = max(width / photo.width, height / photo.height, 1.0)
    if scale > 1.0:
        photo = photo.resize(
            (round(photo.width * scale), round(photo.height * scale)), Image.Resampling.BICUBIC
        )
    return photo


def _view(
    img: Image.Image, box: tuple[float, float, float, float], size: tuple[int, int]
) -> Image.Image:
    """The part of `img` in `box` (left, top, right, bottom, sub-pixel), scaled to `size`."""
    return img.resize(size, Image.Resampling.BICUBIC, box=box)


def camera_motion(width: int, height: int, frames: int, seed: int = 0) -> list[Image.Image]:
    """A pan from left to right across the scene with a slow zoom in (to 0.8 of the view)."""
    src = scene(round(width * 1.6), round(height * 1.25), seed)
    out = []
    for t in np.linspace(0.0, 1.0, frames):
        zoom = 1.0 - 0.2 * t
        view_w = src.width / 1.6 * zoom
        view_h = view_w * height / width
        left = (src.width - view_w) * t
        top = (src.height - view_h) * (0.5 + 0.3 * np.sin(np.pi * t))
        out.append(_view(src, (left, top, left + view_w, top + view_h), (width, height)))
    return out


def lighting_change(width: int, height: int, frames: int, seed: int = 0) -> list[Image.Image]:
    """A still scene in dim light (0.45 of the picture's brightness) where the light through
    a window ramps up: a soft-edged patch at the upper left (30 % × 45 % of the frame) brightens
    steadily to 1.15 while the rest of the room stays as it was."""
    base = np.asarray(_view(scene(width, height, seed), _whole(width, height), (width, height)))
    window = _soft_box(width, height, (0.05, 0.05, 0.35, 0.5), feather=0.02 * width)
    out = []
    for t in np.linspace(0.0, 1.0, frames):
        gain = 0.45 + 0.7 * float(t) * window  # (H, W, 1)
        lit = np.clip(base.astype(np.float32) * gain, 0, 255)
        out.append(Image.fromarray(lit.round().astype(np.uint8)))
    return out


def backdrop(width: int, height: int, seed: int = 0) -> Image.Image:
    """The still camera's view of the scene: what `object_enters` shows without its shape."""
    return _view(scene(width, height, seed), _whole(width, height), (width, height))


def object_enters(width: int, height: int, frames: int, seed: int = 0) -> list[Image.Image]:
    """A still scene that a dark, soft-edged shape (a person, say) walks into from the left,
    slowing to a stop a third of the way across."""
    base = np.asarray(backdrop(width, height, seed))
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    radius = 0.3 * height
    out = []
    for t in np.linspace(0.0, 1.0, frames):
        cx = width * (-0.15 + 0.5 * (1 - (1 - float(t)) ** 2))  # eases out to a stop
        inside = ((xs - cx) / radius) ** 2 + ((ys - 0.55 * height) / (1.6 * radius)) ** 2
        shape = np.clip((1.0 - inside) * radius / 3, 0, 1)[..., None]  # soft edge
        img = base.astype(np.float32) * (1 - 0.75 * shape)
        out.append(Image.fromarray(np.clip(img, 0, 255).round().astype(np.uint8)))
    return out


def _whole(width: int, height: int) -> tuple[float, float, float, float]:
    """The largest box of the scene's aspect ratio: what `scene` gives for a still camera."""
    src = scene(width, height)
    view_w = min(src.width, src.height * width / height)
    return 0.0, 0.0, view_w, view_w * height / width


def _soft_box(
    width: int, height: int, box: tuple[float, float, float, float], feather: float
) -> np.ndarray:
    """(H, W, 1) float32: 1 inside the box (fractions of the frame), falling to 0 over about
    `feather` pixels outside it."""
    left, top, right, bottom = box
    xs = np.arange(width, dtype=np.float32)
    ys = np.arange(height, dtype=np.float32)
    fx = np.clip(np.minimum(xs - left * width, right * width - xs) / feather + 0.5, 0, 1)
    fy = np.clip(np.minimum(ys - top * height, bottom * height - ys) / feather + 0.5, 0, 1)
    return (fy[:, None] * fx[None, :])[..., None]


def still_scene(width: int, height: int, frames: int, seed: int = 0) -> list[Image.Image]:
    """A fixed camera: sensor noise (σ = 2 levels) and a small dark disc crossing the view."""
    rng = np.random.default_rng(seed)
    base = np.asarray(_view(scene(width, height, seed), _whole(width, height), (width, height)))
    ys, xs = np.mgrid[0:height, 0:width]
    radius = max(2.0, min(width, height) / 12)
    out = []
    for t in np.linspace(0.0, 1.0, frames):
        img = base.astype(np.float32) + rng.normal(0, 2, base.shape).astype(np.float32)
        cx, cy = width * (0.1 + 0.8 * t), height * 0.6
        disc = (xs - cx) ** 2 + (ys - cy) ** 2 < radius**2
        img[disc] = img[disc] * 0.3
        out.append(Image.fromarray(np.clip(img, 0, 255).round().astype(np.uint8)))
    return out


def make_clip(name: str, width: int, height: int, frames: int, seed: int = 0) -> list[Image.Image]:
    """One of `CLIPS` by name."""
    makers = {
        "camera_motion": camera_motion,
        "lighting_change": lighting_change,
        "object_enters": object_enters,
        "still_scene": still_scene,
    }
    if name not in makers:
        raise ValueError(f"unknown clip {name!r}; one of {', '.join(CLIPS)}")
    return makers[name](width, height, frames, seed)


def clip_bytes(frames: Sequence[Image.Image], fps: float = 12) -> bytes:
    """Frames as a silent H.264 MP4 (yuv420p, quality ~crf 18): a clip file for tests."""
    buf = io.BytesIO()
    width, height = frames[0].size
    with av.open(buf, mode="w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "18", "preset": "veryfast"}
        for img in frames:
            out.mux(stream.encode(av.VideoFrame.from_image(img)))
        out.mux(stream.encode())
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m model.video.synthetic", description=__doc__)
    p.add_argument("name", choices=CLIPS)
    p.add_argument("output", type=Path)
    p.add_argument("--seconds", type=float, default=4.0, help="at 24 fps")
    p.add_argument("--size", type=int, default=360, help="the shorter side (16:9)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    width = round(args.size * 16 / 9 / 2) * 2  # even, as H.264 wants
    frames = make_clip(args.name, width, args.size, max(1, round(args.seconds * 24)), args.seed)
    args.output.write_bytes(clip_bytes(frames, fps=24))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
