"""The command line for stylizing image files: `python -m model.stylize` (`Stylizer` is in
`model.stylizer`).

    python -m model.stylize CONTENT STYLE [STYLE ...] -o OUT [--alpha A] [--style-weights W,W]
        [--preserve-color] [--content-size N] [--style-size N] [--stroke S]
        [--weights-dir DIR] [--device auto|cpu|cuda]

Sizes scale the shorter side (0 keeps the original resolution). `--stroke` scales the brush
strokes (0.25–4): the styles are encoded at S × the style size, so 2 gives strokes about twice
as large. Errors are one line on stderr and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from model.images import ImageError
from model.stylizer import Stylizer
from model.weights.load import WeightsError


def _weights(text: str) -> list[float]:
    try:
        return [float(w) for w in text.split(",")]
    except ValueError:
        msg = f"weights must be numbers separated by commas: {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m model.stylize",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("content", type=Path)
    p.add_argument("styles", type=Path, nargs="+", metavar="STYLE")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="output file; its extension picks the format (.jpg, .png, …)",
    )
    p.add_argument("--alpha", type=float, default=1.0, help="style strength in [0, 1]")
    p.add_argument("--style-weights", type=_weights, help="one weight per style, e.g. 0.7,0.3")
    p.add_argument("--preserve-color", action="store_true", help="keep the content's colours")
    p.add_argument("--content-size", type=int, default=512)
    p.add_argument("--style-size", type=int, default=512)
    p.add_argument(
        "--stroke",
        type=float,
        default=1.0,
        help="brush-stroke scale in [0.25, 4]: styles encoded at S × the style size",
    )
    p.add_argument(
        "--weights-dir", type=Path, default=Path(os.environ.get("WEIGHTS_DIR", "weights"))
    )
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    weights = args.style_weights or [1.0] * len(args.styles)
    if len(weights) != len(args.styles):
        print(f"error: {len(args.styles)} styles but {len(weights)} weights", file=sys.stderr)
        return 2
    try:
        stylizer = Stylizer.from_dir(args.weights_dir, device=args.device)
        out = stylizer.stylize(
            args.content,
            list(zip(args.styles, weights, strict=True)),
            alpha=args.alpha,
            preserve_color=args.preserve_color,
            content_size=args.content_size,
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
