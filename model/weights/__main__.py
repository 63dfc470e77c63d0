"""Fetch and check the pretrained weight files listed in `weights/manifest.json`.

    python -m model.weights fetch [--dir DIR]   download, resume, verify SHA-256, then move
    python -m model.weights check [--dir DIR]   say what is present and valid

A download goes to `<name>.part`; an interrupted one resumes from there with an HTTP Range
request. Only a file whose SHA-256 matches the manifest is moved into place, so a worker never
loads half a file or someone else's.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from model.weights.fetch import DEFAULT_MANIFEST, FetchError, check_one, fetch_one, read_manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m model.weights",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["fetch", "check"])
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(os.environ.get("WEIGHTS_DIR", "weights")),
        help="folder of the weight files (default: $WEIGHTS_DIR or weights/)",
    )
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    entries = read_manifest(args.manifest)
    if args.command == "check":
        results = [check_one(e, args.dir) for e in entries]
        for _, line in results:
            print(line)
        if not all(ok for ok, _ in results):
            print(f"run `python -m model.weights fetch --dir {args.dir}` to fetch what is missing")
            return 1
        return 0
    status = 0
    for entry in entries:
        try:
            print(fetch_one(entry, args.dir, quiet=args.quiet))
        except FetchError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
