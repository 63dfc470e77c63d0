# One image for the bot and the worker; they differ only in their command.
# TORCH=cuda (the default): PyTorch from PyPI's Linux wheels, which carry their own CUDA
# libraries, so there is no CUDA base image and exactly one CUDA in the image.
# TORCH=cpu (docker-compose.cpu.yml): PyTorch's CPU-only wheels, without the CUDA libraries
# and Triton, about 4.6 GB less. Weights are not baked in (see compose).
# TORCH_SOURCE (optional): where torch and torchvision come from, as pip's arguments, for
# either kind; behind a mirror, e.g.
#   --build-arg TORCH_SOURCE="--index-url https://mirror.example/whl/cpu torch torchvision"
FROM python:3.11-slim
ARG TORCH=cuda
ARG TORCH_SOURCE=

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A C compiler for CUDA images: Triton (torch.compile on CUDA) builds its launchers at run time.
RUN case "$TORCH" in cuda|cpu) ;; *) echo "TORCH must be cuda or cpu" >&2; exit 1;; esac \
    && if [ "$TORCH" = cuda ]; then \
        apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && useradd --create-home --uid 10001 app
WORKDIR /app

# Dependencies in their own layer: rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
# A CPU image installs torch and torchvision from PyTorch's CPU index first (or TORCH_SOURCE);
# the requirements are then already met and pip fetches no CUDA wheel.
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && if [ -n "$TORCH_SOURCE" ]; then \
        pip install $TORCH_SOURCE; \
    elif [ "$TORCH" = cpu ]; then \
        pip install --index-url https://download.pytorch.org/whl/cpu torch torchvision; \
    fi \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY model ./model
COPY worker ./worker
COPY redis_access ./redis_access
COPY bot ./bot
COPY weights/manifest.json ./weights/manifest.json

RUN mkdir -p /data/weights /app/styles /cache && chown app:app /data/weights /cache
USER app

# /cache: torch.compile's caches (compose mounts a volume there), so that a restarted or added
# GPU worker reuses compiled kernels instead of compiling for minutes before its first job, and
# the CPU workers' converted OpenVINO networks ($XDG_CACHE_HOME/adain/openvino).
ENV WEIGHTS_DIR=/data/weights \
    STYLES_DIR=/app/styles \
    XDG_CACHE_HOME=/cache \
    TORCHINDUCTOR_CACHE_DIR=/cache/torchinductor \
    TRITON_CACHE_DIR=/cache/triton

CMD ["python", "-m", "worker"]
