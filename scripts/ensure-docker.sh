#!/usr/bin/env bash
# Makes sure a Docker engine is reachable: installs docker.io only when dockerd is missing,
# starts dockerd only when `docker info` fails, waits up to ~60 s. Idempotent; no prompts.
# Exits non-zero with a clear message when the daemon cannot start.
set -euo pipefail

LOG_FILE="${PALISADE_DOCKERD_LOG:-/tmp/palisade-dockerd.log}"
WAIT_SECONDS="${PALISADE_DOCKERD_WAIT:-60}"

say() { printf 'ensure-docker: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else
    say "need root to run: $*"; return 1; fi
}

if docker info >/dev/null 2>&1; then
  say "daemon already reachable"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  say "dockerd missing: installing docker.io"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq </dev/null
  as_root apt-get install -y -qq docker.io </dev/null
fi
if ! command -v docker >/dev/null 2>&1; then
  say "docker CLI still missing after install"; exit 1
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  say "starting dockerd (log: $LOG_FILE)"
  # setsid + nohup: the daemon outlives this script and the CI step that ran it
  as_root setsid nohup dockerd >"$LOG_FILE" 2>&1 </dev/null &
fi

for _ in $(seq 1 "$WAIT_SECONDS"); do
  if docker info >/dev/null 2>&1; then
    say "daemon ready ($(docker info --format '{{.ServerVersion}} {{.Driver}} cgroup v{{.CgroupVersion}}' 2>/dev/null || echo up))"
    exit 0
  fi
  sleep 1
done

say "dockerd did not become reachable within ${WAIT_SECONDS}s; last log lines:"
tail -n 20 "$LOG_FILE" >&2 2>/dev/null || true
exit 1
