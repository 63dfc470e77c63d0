#!/usr/bin/env bash
# The stack for real with Docker Compose: build the CPU image, bring it up with random weights
# in the public layout and the fake Bot API as Telegram, send a photo pair, wait for the result,
# show each service's health, stop it (timing each service) and remove everything it made.
# Needs a Docker daemon with Compose v2.24+; not part of `make test`.
#
#   scripts/compose-check.sh
#   TORCH_SOURCE="--index-url https://mirror.example/whl/cpu torch torchvision" scripts/compose-check.sh
#   WHEELS=/opt/wheels TORCH_SOURCE="{wheels}/torch-….whl torchvision==0.28.0" scripts/compose-check.sh
#   HA=1 scripts/compose-check.sh
#
# WHEELS: a folder of wheel files served over HTTP to the build while it runs; "{wheels}" in
# TORCH_SOURCE is its URL (port WHEELS_PORT, 8765). RESULT_TIMEOUT: seconds to wait for a
# result (default 900).
# HA=1: with docker-compose.ha.yml (a replica and three sentinels). After the first result the
# Redis master's container is killed (SIGKILL, as a lost host would be); the check measures how
# long the sentinels take to name the replica as master, sends a second photo pair from another
# chat, and fails unless its result arrives with the bot and the worker never restarted.
set -euo pipefail
cd "$(dirname "$0")/.."

project=adain-check
work=$(mktemp -d)
chmod 755 "$work"
server_pid=""
ha=${HA:-0}
compose=(docker compose -p "$project" --env-file "$work/.env"
         -f docker-compose.yml -f docker-compose.cpu.yml -f scripts/compose-check.yml)
redis_services=(redis)
if [ "$ha" = 1 ]; then
    compose+=(-f docker-compose.ha.yml -f scripts/compose-check-ha.yml)
    redis_services=(redis redis-replica sentinel-1 sentinel-2 sentinel-3)
fi
say() { printf '[compose-check %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
now() { date +%s.%N; }
since() { printf '%.1f' "$(echo "$(now) - $1" | bc)"; }
# The n-th result line of the fake user (1: the first pair's), once it is there.
wait_result() {
    until line=$("${compose[@]}" logs --no-log-prefix telegram | grep -E '^(no )?result:' | sed -n "${1}p" | grep .); do
        if [ "$(date +%s)" -gt "$deadline" ]; then say "no result in time"; "${compose[@]}" logs --tail 40; exit 1; fi
        sleep "${2:-5}"
    done
    case $line in result:*) ;; *) say "$line"; "${compose[@]}" logs --tail 40; exit 1;; esac
}
# Where the sentinels say the master is ("host port"), asked of one sentinel (ids: containers).
declare -A ids
master_of() {
    docker exec "${ids[$1]}" redis-cli -p 26379 sentinel get-master-addr-by-name adain | paste -sd' '
}
# What one sentinel knows of the group: the replicas and the other sentinels it found.
group_of() {
    docker exec "${ids[$1]}" redis-cli -p 26379 sentinel master adain |
        awk 'NR % 2 { key = $0; next } key == "num-slaves" { r = $0 } key == "num-other-sentinels" { s = $0 }
             END { printf "%s replica(s), %s other sentinel(s)", r, s }'
}
# The container of the Redis server the sentinels name (by service name, or by address).
container_of() {
    local host=$1 id
    for service in redis redis-replica; do
        id=$("${compose[@]}" ps -aq "$service")
        if [ "$host" = "$service" ] || docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$id" | grep -qw -- "$host"; then
            echo "$service $id"; return
        fi
    done
    return 1
}
replication() {
    docker exec "$1" sh -c 'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning info replication' |
        tr -d '\r' | grep -E '^(role|connected_slaves|slave[0-9]|master_host|master_link_status):' | paste -sd' '
}
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
wait_result 1
say "$line ($(( $(date +%s) - start )) s after up)"

if [ "$ha" = 1 ]; then
    for sentinel in sentinel-1 sentinel-2 sentinel-3; do
        ids[$sentinel]=$("${compose[@]}" ps -q "$sentinel")
        say "$sentinel: the master is at $(master_of "$sentinel"); $(group_of "$sentinel")"
    done
    master=$(master_of sentinel-1)
    read -r master_service master_id < <(container_of "${master%% *}") \
        || { say "no container is at ${master%% *}"; exit 1; }
    say "master: $master_service ($master); $(replication "$master_id")"
    case $(replication "$master_id") in *state=online*) ;; *) say "no replica in sync"; exit 1;; esac
    declare -A app_ids
    for service in bot worker; do app_ids[$service]=$("${compose[@]}" ps -q "$service"); done
    docker kill "$master_id" >/dev/null
    killed=$(now)
    say "killed $master_service's container (SIGKILL)"
    until new=$(master_of sentinel-1) && [ "$new" != "$master" ]; do
        if [ "$(date +%s)" -gt "$deadline" ]; then say "no failover in time"; "${compose[@]}" logs --tail 40; exit 1; fi
        sleep 0.2
    done
    say "the sentinels name $new as master $(since "$killed") s after the kill"
    for sentinel in sentinel-2 sentinel-3; do
        say "$sentinel: the master is at $(master_of "$sentinel")"
    done
    read -r new_service new_id < <(container_of "${new%% *}") || { say "no container is at ${new%% *}"; exit 1; }
    say "$new_service: $(replication "$new_id")"
    say "$master_service: $(docker inspect -f '{{.State.Status}}, restarts {{.RestartCount}}' "$master_id")"

    say "sending a second photo pair"
    "${compose[@]}" exec -T telegram touch /tmp/next-pair
    wait_result 2 1
    say "$line ($(since "$killed") s after the kill)"
    for service in bot worker; do
        id=$("${compose[@]}" ps -q "$service")
        state=$(docker inspect -f '{{.State.Status}}, restarts {{.RestartCount}}, started {{.State.StartedAt}}' "$id")
        say "$service: $state"
        case "$id $state" in "${app_ids[$service]} running, restarts 0,"*) ;; *) say "$service was restarted"; exit 1;; esac
    done
fi

say "waiting for every service to be healthy"
until [ -z "$("${compose[@]}" ps --format '{{.Service}} {{.Health}}' | awk '$2 != "" && $2 != "healthy"')" ]; do
    if [ "$(date +%s)" -gt "$deadline" ]; then break; fi
    sleep 5
done
"${compose[@]}" ps -a --format 'table {{.Service}}\t{{.State}}\t{{.Status}}'
unhealthy=$("${compose[@]}" ps --format '{{.Service}} {{.Health}}' | awk '$2 != "healthy" && $1 != "telegram"')
if docker compose -p "$project" logs 2>&1 | grep -q 'AAFakeTokenForTests'; then say "the token is in a log line"; exit 1; fi
say "maintenance lines at INFO in the worker's log: $("${compose[@]}" logs worker | grep -c 'cleaning registries' || true)"

for service in bot worker telegram "${redis_services[@]}"; do
    start=$(date +%s.%N)
    "${compose[@]}" stop "$service" >/dev/null 2>&1
    took=$(echo "$(date +%s.%N) - $start" | bc)
    code=$(docker inspect -f '{{.State.ExitCode}}' "$("${compose[@]}" ps -aq "$service" | head -1)")
    say "stopped $service in ${took%???????} s, exit status $code"
done
if [ -n "$unhealthy" ]; then say "not healthy: $unhealthy"; exit 1; fi
say "passed"
