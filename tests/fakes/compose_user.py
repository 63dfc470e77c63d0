"""The fake Bot API as a compose service, with one user who sends a photo pair.

    python -m tests.fakes.compose_user [--port 8081] [--timeout 900]

It listens on every interface; the user sends a photo (kept until the bot polls), then, once
the bot answered, a style; and
one line is printed when the result arrives (``result: …``, or ``no result: …`` after the
timeout). It then serves on until SIGTERM, so that the bot stays healthy. Used by
``scripts/compose-check.sh``.
"""

from __future__ import annotations

import argparse
import signal
import threading
import time

from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.telegram_types import image_size
from tests.helpers import image_bytes, natural_image

CHAT = 4242


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.compose_user")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    api = FakeBotAPI(host="0.0.0.0", port=args.port)
    api.start_in_thread()
    print(f"fake Bot API on port {args.port}", flush=True)
    try:
        api.user(CHAT, "en")
        api.send_photo(CHAT, image_bytes(natural_image(384, 256, seed=1)))  # kept till polled
        api.wait_until(lambda: api.texts(CHAT), timeout=args.timeout)  # "Got your photo…"
        started = time.monotonic()
        api.send_photo(CHAT, image_bytes(natural_image(256, 256, seed=2)))
        try:
            [result] = api.wait_until(lambda: api.results(CHAT), timeout=args.timeout)
        except AssertionError:
            print(f"no result: {api.texts(CHAT)}", flush=True)
        else:
            width, height = image_size(result.data or b"")
            kind = "photo" if result.is_photo else "file"
            print(
                f"result: a {kind} of {width}x{height}, {len(result.data or b'')} bytes, "
                f"{time.monotonic() - started:.1f} s after the style; texts: {api.texts(CHAT)}",
                flush=True,
            )
        stop.wait()
    finally:
        api.stop_thread()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
