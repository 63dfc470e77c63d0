"""What the two stylizing commands (`python -m model.stylize`, `python -m model.video`) share:
the style arguments, the model's arguments, and the styles paired with their weights."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _weights(text: str) -> list[float]:
    try:
        return [float(w) for w in text.split(",")]
    except ValueError:
        msg = f"weights must be numbers separated by commas: {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def add_style_arguments(p: argparse.ArgumentParser, *, output_help: str, of: str) -> None:
    """STYLE ..., -o, --alpha, --style-weights, --preserve-color, --style-size and --stroke;
    `of` names what --preserve-color keeps the colours of."""
    p.add_argument("styles", type=Path, nargs="+", metavar="STYLE")
    p.add_argument("-o", "--output", type=Path, required=True, help=output_help)
    p.add_argument("--alpha", type=float, default=1.0, help="style strength in [0, 1]")
    p.add_argument("--style-weights", type=_weights, help="one weight per style, e.g. 0.7,0.3")
    p.add_argument("--preserve-color", action="store_true", help=f"keep the {of}'s colours")
    p.add_argument("--style-size", type=int, default=512)
    p.add_argument(
        "--stroke",
        type=float,
        default=1.0,
        help="brush-stroke scale in [0.25, 4]: styles encoded at S × the style size",
    )


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    """--weights-dir (default $WEIGHTS_DIR, else weights/) and --device."""
    p.add_argument(
        "--weights-dir", type=Path, default=Path(os.environ.get("WEIGHTS_DIR", "weights"))
    )
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")


def weighted_styles(args: argparse.Namespace) -> list[tuple[Path, float]] | None:
    """Each style with its weight (1 each unless --style-weights); None, with the error line
    printed, when the counts differ."""
    weights = args.style_weights or [1.0] * len(args.styles)
    if len(weights) != len(args.styles):
        print(f"error: {len(args.styles)} styles but {len(weights)} weights", file=sys.stderr)
        return None
    return list(zip(args.styles, weights, strict=True))
