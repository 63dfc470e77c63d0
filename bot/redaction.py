"""Keep the bot token out of every log line, exception texts and file URLs included."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

REDACTED = "<redacted>"
# Any bot token in a Bot API URL, ours or not: /bot123456:AAE-x_y/getFile, /file/bot123:abc/…
_TOKEN_IN_URL = re.compile(r"bot\d+(?::|%3A)[A-Za-z0-9_-]+", re.IGNORECASE)


class TokenRedactingFilter(logging.Filter):
    """Rewrites each record so that neither the token nor its secret part survives."""

    def __init__(self, token: str) -> None:
        super().__init__()
        secret = token.partition(":")[2]
        # Longest first, so the whole token is replaced before its parts.
        needles = {token, quote(token, safe=""), secret}
        self._needles = sorted((n for n in needles if len(n) >= 8), key=len, reverse=True)

    def redact(self, text: str) -> str:
        text = _TOKEN_IN_URL.sub("bot" + REDACTED, text)
        for needle in self._needles:
            text = text.replace(needle, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call still gets logged, redacted
            message = f"{record.msg} {record.args!r}"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info:
            # Format the traceback once here; formatters reuse exc_text instead of exc_info.
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install_redaction(token: str, logger: logging.Logger | None = None) -> TokenRedactingFilter:
    """Attach one redacting filter to every handler of ``logger`` (the root by default)."""
    target = logger or logging.getLogger()
    redactor = TokenRedactingFilter(token)
    for handler in target.handlers:
        handler.addFilter(redactor)
    return redactor


def configure_logging(level: str, token: str) -> TokenRedactingFilter:
    """Log to stderr with the token redacted, before anything else gets to log."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    return install_redaction(token)
