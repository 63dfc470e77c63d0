"""Score decoders on every content × style pair: `python -m model.evaluate`.

    python -m model.evaluate --content-dir eval/content --style-dir eval/style \\
        --vgg weights/vgg_normalised.pth --decoder weights/decoder.pth \\
        --decoder checkpoints/decoder.pth --out runs/eval

For each decoder: the mean content and style losses of the training objective (the AdaIN
paper's quantitative comparison; lower is better for both, but they trade against each
other), the mean seconds per stylization on the device (content and style encoding, AdaIN,
decoding; losses excluded), and a grid of all outputs. Writes `report.json` and one grid PNG
per decoder into `--out`, and prints the decoders side by side.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Literal, TypedDict

import torch
from PIL import Image
from torch import nn

from model.device import resolve_device
from model.images import ImageError, load_image, resize, to_image, to_tensor
from model.networks import Encoder, build_decoder, build_vgg
from model.training.data import center_crop, list_images
from model.training.losses import adain_forward, score
from model.weights.load import WeightsError, load_into

log = logging.getLogger(__name__)
CELL = 256  # side of one grid cell in pixels


class PairResult(TypedDict):
    """One content × style pair of one decoder, as `report.json` lists it."""

    content: str
    style: str
    seconds: float
    content_loss: float
    style_loss: float


def load_folder(folder: Path, size: int) -> list[tuple[Path, Image.Image]]:
    """Every usable image under `folder`, shorter side scaled to `size`; others are skipped."""
    images = []
    for path in list_images(folder):
        try:
            images.append((path, resize(load_image(path), size)))
        except ImageError as exc:
            log.warning("skipping %s: %s", path, exc)
    if not images:
        raise ValueError(f"no usable image under {folder}")
    return images


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@torch.inference_mode()
def evaluate_decoder(
    encoder: Encoder,
    decoder: nn.Module,
    contents: list[tuple[Path, Image.Image]],
    styles: list[tuple[Path, Image.Image]],
    device: torch.device,
) -> tuple[list[PairResult], list[list[Image.Image]]]:
    """Per-pair results (content, style, losses, seconds) and the outputs, row per content."""
    tensors = {p: to_tensor(img).to(device) for p, img in contents + styles}  # (1, 3, H, W)
    adain_forward(encoder, decoder, tensors[contents[0][0]], tensors[styles[0][0]])  # warm-up
    pairs: list[PairResult] = []
    outputs = []
    for c_path, _ in contents:
        row = []
        for s_path, _ in styles:
            _sync(device)
            start = time.perf_counter()
            output, target, style_feats = adain_forward(
                encoder, decoder, tensors[c_path], tensors[s_path]
            )
            _sync(device)
            seconds = time.perf_counter() - start
            loss_c, loss_s = score(encoder, output, target, style_feats)
            pairs.append(
                {
                    "content": str(c_path),
                    "style": str(s_path),
                    "seconds": seconds,
                    "content_loss": loss_c.item(),
                    "style_loss": loss_s.item(),
                }
            )
            row.append(to_image(output))
        outputs.append(row)
    return pairs, outputs


def pair_grid(
    contents: list[Image.Image], styles: list[Image.Image], outputs: list[list[Image.Image]]
) -> Image.Image:
    """Styles along the top, contents down the left, each output where they meet."""

    def cell(img: Image.Image) -> Image.Image:
        return center_crop(resize(img, CELL), CELL)

    grid = Image.new("RGB", ((len(styles) + 1) * CELL, (len(contents) + 1) * CELL), "white")
    for j, img in enumerate(styles, start=1):
        grid.paste(cell(img), (j * CELL, 0))
    for i, img in enumerate(contents, start=1):
        grid.paste(cell(img), (0, i * CELL))
        for j, out in enumerate(outputs[i - 1], start=1):
            grid.paste(cell(out), (j * CELL, i * CELL))
    return grid


def summarize(pairs: list[PairResult], content_weight: float, style_weight: float) -> dict:
    """Means over the pairs; the total weighs them as training does."""

    def mean(key: Literal["seconds", "content_loss", "style_loss"]) -> float:
        return sum(p[key] for p in pairs) / len(pairs)

    loss_c, loss_s = mean("content_loss"), mean("style_loss")
    return {
        "content_loss": loss_c,
        "style_loss": loss_s,
        "total_loss": content_weight * loss_c + style_weight * loss_s,
        "seconds_per_pair": mean("seconds"),
    }


def format_table(report: dict) -> str:
    """The decoders side by side, one column each."""
    decoders = report["decoders"]
    weights = f"{report['content_weight']:g}·c + {report['style_weight']:g}·s"
    rows = [
        ("metric", [d["label"] for d in decoders]),
        ("pairs", [str(len(d["pairs"])) for d in decoders]),
        ("content loss", [f"{d['content_loss']:.4g}" for d in decoders]),
        ("style loss", [f"{d['style_loss']:.4g}" for d in decoders]),
        (f"total ({weights})", [f"{d['total_loss']:.4g}" for d in decoders]),
        (
            f"seconds per pair ({report['device']})",
            [f"{d['seconds_per_pair']:.4f}" for d in decoders],
        ),
    ]
    first = max(len(name) for name, _ in rows)
    widths = [max(len(values[k]) for _, values in rows) for k in range(len(decoders))]
    lines = [
        "  ".join([name.ljust(first)] + [v.rjust(w) for v, w in zip(values, widths, strict=True)])
        for name, values in rows
    ]
    return "\n".join(lines)


def _labels(paths: list[Path]) -> list[str]:
    names = [p.name for p in paths]
    return names if len(set(names)) == len(names) else [str(p) for p in paths]


def run(args: argparse.Namespace) -> dict:
    """Evaluate every decoder of `args`; write the report and the grids into `args.out`."""
    device = resolve_device(args.device)
    encoder = Encoder(load_into(build_vgg(), args.vgg)).to(device).eval()
    decoders = [load_into(build_decoder(), path).to(device).eval() for path in args.decoder]
    contents = load_folder(args.content_dir, args.size)
    styles = load_folder(args.style_dir, args.size)
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict = {
        "device": str(device),
        "size": args.size,
        "vgg": str(args.vgg),
        "content_dir": str(args.content_dir),
        "style_dir": str(args.style_dir),
        "content_weight": args.content_weight,
        "style_weight": args.style_weight,
        "decoders": [],
    }
    for k, (path, label, decoder) in enumerate(
        zip(args.decoder, _labels(args.decoder), decoders, strict=True), start=1
    ):
        pairs, outputs = evaluate_decoder(encoder, decoder, contents, styles, device)
        grid_path = args.out / f"grid_{k}_{path.stem}.png"
        grid = pair_grid([img for _, img in contents], [img for _, img in styles], outputs)
        grid.save(grid_path)
        summary = summarize(pairs, args.content_weight, args.style_weight)
        report["decoders"].append(
            {
                "decoder": str(path),
                "label": label,
                **summary,
                "grid": str(grid_path),
                "pairs": pairs,
            }
        )
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m model.evaluate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--content-dir", type=Path, required=True)
    parser.add_argument("--style-dir", type=Path, required=True)
    parser.add_argument(
        "--decoder",
        type=Path,
        action="append",
        required=True,
        help="a decoder.pth; repeat to compare several",
    )
    parser.add_argument("--vgg", type=Path, default=Path("weights/vgg_normalised.pth"))
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda[:N]")
    parser.add_argument("--size", type=int, default=512, help="shorter side of every image")
    parser.add_argument("--out", type=Path, default=Path("runs/eval"), help="report folder")
    parser.add_argument("--content-weight", type=float, default=1.0)
    parser.add_argument("--style-weight", type=float, default=10.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        report = run(args)
    except (ValueError, WeightsError) as exc:
        raise SystemExit(f"error: {exc}") from None
    print(format_table(report))


if __name__ == "__main__":
    main()
