"""The RQ worker process: `python -m worker` (see docs/worker.md)."""
