"""The command line for stylizing a clip: `python -m model.video`.

    python -m model.video CLIP STYLE [STYLE ...] -o OUT.mp4 [--kind animation|video|video_note]
        [--style-weights W,W] [--alpha A] [--preserve-color] [--size N] [--fps F]
        [--max-seconds S] [--style-size N] [--stroke S] [--batch N] [--blend W] [--interval N]
        [--per-frame] [--weights-dir DIR] [--device auto|cpu|cuda]

`--size` scales the frames' shorter side (0 keeps the source's, up to 1920×1080); `--fps` caps
the frame rate; `--blend` is how much of the previous output frame, moved along the clip's
optical flow, a pixel that did not change keeps (default 0.7; 0 sends every frame through the
networks and carries nothing over); `--interval` is the most frames from one keyframe to the
next (the frames between are the previous output carried along the flow, with the networks
run only where the flow does not explain the frame);
`--per-frame` stylizes every frame on its own (per-frame AdaIN: its own statistics, no
blending), instead of the clip's steady colours. A video keeps its sound; an animation has
none; a video note is a centred square of at most 640 pixels. Errors are one line on stderr
and exit 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import av

from model.cli import add_model_arguments, add_style_arguments, weighted_styles
from model.images import ImageError
from model.limits import CLIP_KINDS
from model.stylizer import Stylizer
from model.video.carry import INTERVAL
from model.video.clip import stylize_clip
from model.video.probe import DEFAULT_MAX_SECONDS, ClipError
from model.video.temporal import WEIGHT
from model.weights.load import WeightsError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m model.video",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("clip", type=Path)
    add_style_arguments(p, output_help="the MP4 to write", of="clip")
    p.add_argument(
        "--kind", choices=CLIP_KINDS, default="video", help="what to make (default video)"
    )
    p.add_argument("--size", type=int, default=360, help="shorter side of the frames")
    p.add_argument("--fps", type=float, default=24, help="the most frames per second")
    p.add_argument("--max-seconds", type=float, default=DEFAULT_MAX_SECONDS)
    p.add_argument("--batch", type=int, default=8, help="frames per pass through the networks")
    p.add_argument(
        "--blend",
        type=float,
        default=WEIGHT,
        help=f"temporal blending in [0, 1), {WEIGHT} by default",
    )
    p.add_argument(
        "--interval",
        type=int,
        default=INTERVAL,
        help=f"the most frames from one keyframe to the next, {INTERVAL} by default "
        "(1: every frame through the networks)",
    )
    p.add_argument("--per-frame", action="store_true", help="each frame on its own, not steady")
    add_model_arguments(p)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    styles = weighted_styles(args)
    if styles is None:
        return 2
    av.logging.set_level(None)  # FFmpeg's own complaints would add lines to the one error line
    try:
        stylizer = Stylizer.from_dir(args.weights_dir, device=args.device)
        result = stylize_clip(
            stylizer,
            args.clip,
            styles,
            kind=args.kind,
            alpha=args.alpha,
            preserve_color=args.preserve_color,
            size=args.size,
            max_fps=args.fps,
            max_seconds=args.max_seconds,
            style_size=args.style_size,
            stroke=args.stroke,
            steady=not args.per_frame,
            blend=args.blend,
            interval=args.interval,
            batch=args.batch,
        )
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_bytes(result.data)
    except ClipError as exc:
        print(f"error: {args.clip}: {exc}", file=sys.stderr)
        return 1
    except (ImageError, WeightsError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sound = "with sound" if result.has_audio else "no sound"
    print(
        f"{args.output} ({result.kind}, {result.width}×{result.height}, {result.frames} frames, "
        f"{result.duration:.2f} s at {result.fps:g} fps, {sound})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
