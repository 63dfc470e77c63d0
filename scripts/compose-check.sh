#!/usr/bin/env bash
# The stack for real with Docker Compose: build the CPU image, bring it up with random weights
# in the public layout and the fake Bot API as Telegram, send a photo pair, wait for the result,
# show each service's health, stop it (timing each service) and remove everything it made.
# Needs a Docker daemon with Compose v2.24+; not part of `make test`.
#
#   scripts/compose-check.sh
#   TORCH_SOURCE="--index-url https://mirror.example/whl/cpu torch torchvision" scripts/compose-check.sh
#   WHEELS=/opt/wheels TORCH_SOURCE="{wheels}/torch-….whl torchvision==0.28.0" scripts/compose-check.sh
#
# WHEELS: a folder of wheel files served over HTTP to the build while it runs; "{wheels}" in
# TORCH_SOURCE is its URL (port WHEELS_PORT, 8765). RESULT_TIMEOUT: seconds to wait for the
# result (default 900).
set -euo pipefail
cd "$(dirname "$0")/.."

project=adain-check
work=$(mktemp -d)
chmod 755 "$work"
server_pid=""
compose=(docker compose -p "$project" --env-file "$work/.env"
         -f docker-compose.yml -f docker-compose.cpu.yml -f scripts/compose-check.yml)
say() { printf '[compose-check %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
cleanup() {
    "${compose[@]}" down --volumes --remove-orphans >/dev/null 2>&1 || true
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

docker compose version
torch_source=${TORCH_SOURCE:-}
if [ -n "${WHEELS:-}" ]; then
    port=${WHEELS_PORT:-8765}  # a fixed URL, so that the build's dependency layer stays cached
    python3 -m http.server --bind 127.0.0.1 --directory "$WHEELS" "$port" >/dev/null 2>&1 &
    server_pid=$!
    torch_source=${torch_source//\{wheels\}/http://127.0.0.1:$port}
fi

# What an operator's .env would hold; the password has every character that ends a URL part.
mkdir -m 777 "$work/weights"
cat > "$work/.env" <<ENV
BOT_TOKEN=123456789:AAFakeTokenForTests_0123456789abcdefXYZ
TELEGRAM_API_URL=http://telegram:8081
REDIS_PASSWORD='p/a#s?s@w:rd%'
WEIGHTS=$work/weights
PHOTO_SIZE=256
STYLE_SIZE=256
ENV

say "building the CPU image"
start=$(date +%s)
"${compose[@]}" build --build-arg TORCH_SOURCE="$torch_source" weights
say "built in $(( $(date +%s) - start )) s; adain-bot:cpu is $(docker image inspect adain-bot:cpu -f '{{.Size}}' | awk '{printf "%.2f GB", $1 / 1e9}')"

say "random weights in the public layout into $work/weights"
"${compose[@]}" run --rm --no-deps weights \
    python -m model.random_weights /data/weights >/dev/null

say "docker compose up"
start=$(date +%s)
"${compose[@]}" up -d
"${compose[@]}" logs weights

say "waiting for the photo pair's result"
deadline=$(( $(date +%s) + ${RESULT_TIMEOUT:-900} ))
until line=$("${compose[@]}" logs --no-log-prefix telegram | grep -E '^(no )?result:'); do
    if [ "$(date +%s)" -gt "$deadline" ]; then say "no result in time"; "${compose[@]}" logs --tail 40; exit 1; fi
    sleep 5
done
say "$line ($(( $(date +%s) - start )) s after up)"
case $line in result:*) ;; *) "${compose[@]}" logs --tail 40; exit 1;; esac

say "waiting for every service to be healthy"
until [ -z "$("${compose[@]}" ps --format '{{.Service}} {{.Health}}' | awk '$2 != "" && $2 != "healthy"')" ]; do
    if [ "$(date +%s)" -gt "$deadline" ]; then break; fi
    sleep 5
done
"${compose[@]}" ps -a --format 'table {{.Service}}\t{{.State}}\t{{.Status}}'
unhealthy=$("${compose[@]}" ps --format '{{.Service}} {{.Health}}' | awk '$2 != "healthy" && $1 != "telegram"')
if docker compose -p "$project" logs 2>&1 | grep -q 'AAFakeTokenForTests'; then say "the token is in a log line"; exit 1; fi
say "maintenance lines at INFO in the worker's log: $("${compose[@]}" logs worker | grep -c 'cleaning registries' || true)"

for service in bot worker telegram redis; do
    start=$(date +%s.%N)
    "${compose[@]}" stop "$service" >/dev/null 2>&1
    took=$(echo "$(date +%s.%N) - $start" | bc)
    code=$(docker inspect -f '{{.State.ExitCode}}' "$("${compose[@]}" ps -aq "$service" | head -1)")
    say "stopped $service in ${took%???????} s, exit status $code"
done
if [ -n "$unhealthy" ]; then say "not healthy: $unhealthy"; exit 1; fi
say "passed"
