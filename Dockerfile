# One image for the bot and the worker; they differ only in their command.
# PyTorch comes from PyPI's Linux wheels, which carry their own CUDA libraries: no CUDA base
# image, so there is exactly one CUDA in the image. Weights are not baked in (see compose).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A C compiler: Triton (torch.compile on CUDA) builds its small launchers at run time.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 app
WORKDIR /app

# Dependencies in their own layer: rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY model ./model
COPY worker ./worker
COPY bot ./bot
COPY weights/manifest.json ./weights/manifest.json

RUN mkdir -p /data/weights /app/styles /cache && chown app:app /data/weights /cache
USER app

# /cache: torch.compile's caches (compose mounts a volume there), so that a restarted or added
# GPU worker reuses compiled kernels instead of compiling for minutes before its first job.
ENV WEIGHTS_DIR=/data/weights \
    STYLES_DIR=/app/styles \
    TORCHINDUCTOR_CACHE_DIR=/cache/torchinductor \
    TRITON_CACHE_DIR=/cache/triton

CMD ["python", "-m", "worker"]
