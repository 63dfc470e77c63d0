"""The delivery: each job's record (``job_records``), its status message while it waits
(``progress``), and its answer once a worker published it (``loop``, sending with ``sending``)."""
