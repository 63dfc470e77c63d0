"""Where Redis is and how every process reaches it: one server (``REDIS_URL``) or the master
that Sentinel names (``REDIS_SENTINELS``), clients that follow a failover, and writes that
wait for a replica. The bot and the worker both use it; it imports neither of them."""
