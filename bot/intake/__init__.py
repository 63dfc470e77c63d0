"""The intake: every update Telegram sends, recorded before Telegram is told (``inbox``), taken
by long polling (``polling``) or the webhook (``webhook``, with ``leadership`` among replicas),
and handed to the dispatcher in each chat's order (``update_loop``, ``isolation``)."""
