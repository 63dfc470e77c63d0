"""The fake Bot API as a compose service, with users who send photo pairs.

    python -m tests.fakes.compose_user [--port 8081] [--timeout 900] [--pairs 1]
        [--next-pair-file /tmp/next-pair]

It listens on every interface; a user sends a photo (kept until the bot polls), then, once
the bot answered, a style; and one line is printed when the result arrives (``result: …``, or
``no result: …`` after the timeout). With ``--pairs N`` each further pair comes from another
chat, each once the file ``--next-pair-file`` appears (``touch`` it from outside; it is then
removed), with one more line each. It then serves on until SIGTERM, so that the bot stays
healthy. Used by ``scripts/compose-check.sh``.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time

from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.telegram_types import image_size
from tests.helpers import image_bytes, natural_image

CHAT = 4242


def send_pair(api: FakeBotAPI, chat: int, seed: int, timeout: float) -> None:
    """One user sends a photo, then a style, and one line tells what came back."""
    api.user(chat, "en")
    api.send_photo(chat, image_bytes(natural_image(384, 256, seed=seed)))  # kept till polled
    api.wait_until(lambda: api.texts(chat), timeout=timeout)  # "Got your photo…"
    started = time.monotonic()
    api.send_photo(chat, image_bytes(natural_image(256, 256, seed=seed + 1)))
    try:
        [result] = api.wait_until(lambda: api.results(chat), timeout=timeout)
    except AssertionError:
        print(f"no result: {api.texts(chat)}", flush=True)
    else:
        width, height = image_size(result.data or b"")
        kind = "photo" if result.is_photo else "file"
        print(
            f"result: a {kind} of {width}x{height}, {len(result.data or b'')} bytes, "
            f"{time.monotonic() - started:.1f} s after the style; texts: {api.texts(chat)}",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.compose_user")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--pairs", type=int, default=1)
    parser.add_argument("--next-pair-file", default="/tmp/next-pair")
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    api = FakeBotAPI(host="0.0.0.0", port=args.port)
    api.start_in_thread()
    print(f"fake Bot API on port {args.port}", flush=True)
    try:
        for pair in range(args.pairs):
            if pair:
                while not os.path.exists(args.next_pair_file) and not stop.wait(0.2):
                    pass
                if stop.is_set():
                    break
                os.remove(args.next_pair_file)  # one pair for each touch
            send_pair(api, CHAT + pair, seed=1 + 2 * pair, timeout=args.timeout)
        stop.wait()
    finally:
        api.stop_thread()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
