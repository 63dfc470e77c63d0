#!/usr/bin/env bash
# The GPU measurements of the model, in one run on a CUDA host:
#
#     scripts/gpu-check.sh                  # OUT=DIR to choose where the files go
#
# Writes machine.txt, table.txt, memory.txt, variants.txt and clip.txt under $OUT (./gpu-check-out when
# OUT is unset) and prints them at the end. Each step has its own time limit, so one slow
# compilation cannot take the others' time; a step that ran out says so in its file.
#   machine   the card, driver and clocks, torch, CUDA and cuDNN versions, the C compiler
#   table     python -m model.bench --device cuda --batch 64: plain vs fast at 256–2048 px
#   memory    12 MP at full resolution (tiled): time and peak CUDA memory
#   variants  the fast path's candidates at 512 px, batch 1 and 64, vs strict fp32
#   clip      python -m model.bench video: generated 640×360 clips per-frame, every frame
#             steady and carried (fps, flicker, warping error), then 4 s clips end to end
# Dry run on the CPU, tiny sizes: GPU_CHECK_DEVICE=cpu GPU_CHECK_QUICK=1 scripts/gpu-check.sh
# Runs with the machine's own python3 (PYTHON=... picks another) and needs nothing installed
# beyond torch, Pillow and numpy (the clip step also needs PyAV and OpenCV, as the worker does).
set -u
cd "$(dirname "$0")/.."
out=${OUT:-$PWD/gpu-check-out}
mkdir -p "$out"
py=${PYTHON:-python3}
device=${GPU_CHECK_DEVICE:-cuda}
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

if [ "${GPU_CHECK_QUICK:-0}" = 1 ]; then
    table=(--sizes 48,64 --repeats 1)
    memory=(--megapixels 0.05 --tile-size 128 --tile-above 0)
    variants=(--sizes 48 --repeats 1 --batch 2 --variants reference,default)
    clip=(--size 32 --frames 4 --clips still_scene --style-size 64 --file-seconds 0.5)
    limits=(120 60 120 120)
else
    table=(--batch 64)
    memory=(--megapixels 12)
    variants=(--batch 64)
    clip=(--frames 96 --clips camera_motion,object_enters,still_scene --file-seconds 4)
    limits=(210 60 180 150)
fi

step() { # name, time limit in seconds, then the arguments of python -m model.bench
    local name=$1 limit=$2
    shift 2
    echo "== $name: python -m model.bench $* (limit ${limit} s)"
    local start=$SECONDS
    timeout -k 5 "$limit" "$py" -m model.bench "$@" >"$out/$name.txt" 2>&1
    local rc=$?
    local note="exit $rc"
    [ $rc = 124 ] || [ $rc = 137 ] && note="stopped at its ${limit} s limit"
    echo "== $name: $note after $((SECONDS - start)) s" | tee -a "$out/$name.txt"
}

{
    date -u
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm \
        --format=csv 2>/dev/null || echo "nvidia-smi: not here"
    "$py" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda,
        "cudnn", torch.backends.cudnn.version())'
    echo "cpus: $(nproc); C compiler: $(command -v gcc || command -v cc || echo none)"
} >"$out/machine.txt" 2>&1

step table "${limits[0]}" speed --device "$device" "${table[@]}"
step memory "${limits[1]}" memory --device "$device" "${memory[@]}"
step variants "${limits[2]}" variants --device "$device" "${variants[@]}"
step clip "${limits[3]}" video --device "$device" "${clip[@]}"

for name in machine table memory variants clip; do
    echo
    echo "#### $name.txt"
    # compile warnings can be long: keep the tables
    grep -v -e '^W[0-9]' -e 'warnings.warn' "$out/$name.txt" | tail -n 40
done
