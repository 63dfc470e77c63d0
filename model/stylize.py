"""The command line for stylizing image files: `python -m model.stylize` (`Stylizer` is in
`model.stylizer`).

    python -m model.stylize CONTENT STYLE [STYLE ...] -o OUT [--alpha A] [--style-weights W,W]
        [--preserve-color] [--content-size N] [--style-size N] [--stroke S]
        [--weights-dir DIR] [--device auto|cpu|cuda]

Sizes scale the shorter side (0 keeps the original resolution). `--stroke` scales the brush
strokes (0.25–4): the styles are encoded at S × the style size, so 2 gives strokes about twice
as large. Errors are one line on stderr and a non-zero exit status.

A CONTENT that is a clip (a video, or an animated GIF: told by its content, not its name) is
handed to `python -m model.video` with the options that apply to both (`--content-size` is
then the frames' shorter side, 360 unless given) and any of its own (`--kind`, `--fps`,
`--blend`, `--interval`, `--per-frame`, `--batch`, `--max-seconds`); a GIF makes an animation,
anything else a video, unless `--kind` says otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

import av
from PIL import Image

from model.cli import add_model_arguments, add_style_arguments, weighted_styles
from model.images import ImageError
from model.stylizer import Stylizer
from model.weights.load import WeightsError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m model.stylize",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("content", type=Path)
    add_style_arguments(
        p, output_help="output file; its extension picks the format (.jpg, .png, …)", of="content"
    )
    p.add_argument("--content-size", type=int, help="default 512 (a clip's frames: 360)")
    add_model_arguments(p)
    return p


def is_clip(path: Path) -> bool:
    """True for a file FFmpeg reads as moving pictures: a video, or an animated GIF (a still
    picture, or a file that is neither, is not)."""
    try:
        with Image.open(path) as img:
            if getattr(img, "n_frames", 1) == 1:
                return False
    except (OSError, ValueError, Image.DecompressionBombError):
        pass  # not a picture Pillow knows: perhaps a video
    try:
        with av.open(str(path)) as container:
            return bool(container.streams.video)
    except (av.FFmpegError, OSError, ValueError):
        return False


def _clip_argv(args: argparse.Namespace, extra: list[str]) -> list[str]:
    """The `python -m model.video` command line for the same request."""
    argv = [str(args.content), *map(str, args.styles), "-o", str(args.output)]
    if "--kind" not in extra and not any(a.startswith("--kind=") for a in extra):
        with contextlib.suppress(OSError):
            with open(args.content, "rb") as f:
                gif = f.read(6) in (b"GIF87a", b"GIF89a")
            argv += ["--kind", "animation" if gif else "video"]
    if args.style_weights:
        argv += ["--style-weights", ",".join(map(str, args.style_weights))]
    argv += ["--alpha", str(args.alpha), "--style-size", str(args.style_size)]
    argv += ["--stroke", str(args.stroke), "--weights-dir", str(args.weights_dir)]
    argv += ["--device", args.device]
    if args.content_size is not None:
        argv += ["--size", str(args.content_size)]
    if args.preserve_color:
        argv.append("--preserve-color")
    return argv + extra


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if is_clip(args.content):
        from model.video.__main__ import main as clip_main

        return clip_main(_clip_argv(args, extra))
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)} (those are for clips)")
    styles = weighted_styles(args)
    if styles is None:
        return 2
    try:
        stylizer = Stylizer.from_dir(args.weights_dir, device=args.device)
        out = stylizer.stylize(
            args.content,
            styles,
            alpha=args.alpha,
            preserve_color=args.preserve_color,
            content_size=512 if args.content_size is None else args.content_size,
            style_size=args.style_size,
            stroke=args.stroke,
        )
        args.output.parent.mkdir(parents=True, exist_ok=True)
        out.save(args.output)
    except (ImageError, WeightsError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.output} ({out.width}×{out.height})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
