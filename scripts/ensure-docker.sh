#!/usr/bin/env bash
# Makes sure a Docker engine is reachable: installs docker.io only when dockerd is missing,
# starts dockerd only when `docker info` fails, waits up to ~60 s. Idempotent; no prompts.
# Exits non-zero with a clear message when the daemon cannot start.
#
# Then (issue 20) makes sure the daemon lists the gVisor runtime `runsc`: installs the Debian
# package `runsc` when missing, merges it into /etc/docker/daemon.json (a JSON merge by
# scripts/lib/daemon-json-runsc.py: other keys kept, old file backed up, idempotent) and sends
# dockerd SIGHUP: dockerd reloads `runtimes` from daemon.json on SIGHUP (its log says "Reloaded
# configuration"), so no restart and no running container is disturbed. The same merge registers
# `runsc-egress` (issue 16 item 2): runsc with the same arguments plus --host-uds=open, used only
# by upstream MCP servers with network "egress-allowlist" (their one way out is a bind-mounted
# host unix socket, which gVisor refuses without it); the main runsc never gets it. With CI=true a failure
# here exits non-zero; otherwise it is a warning and the workers use runc only.
# PALISADE_SKIP_RUNSC=1 skips this part.
set -euo pipefail

LOG_FILE="${PALISADE_DOCKERD_LOG:-/tmp/palisade-dockerd.log}"
WAIT_SECONDS="${PALISADE_DOCKERD_WAIT:-60}"
DAEMON_JSON="${PALISADE_DOCKERD_CONFIG:-/etc/docker/daemon.json}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

say() { printf 'ensure-docker: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else
    say "need root to run: $*"; return 1; fi
}

runsc_listed() {
  local runtimes name
  runtimes="$(docker info --format '{{json .Runtimes}}' 2>/dev/null)" || return 1
  for name in runsc runsc-egress; do
    printf '%s' "$runtimes" | grep -q "\"$name\":{[^}]*\"--oci-seccomp\"" || return 1
    printf '%s' "$runtimes" | grep -q "\"$name\":{[^}]*\"--overlay2=none\"" || return 1
  done
  printf '%s' "$runtimes" | grep -q '"runsc-egress":{[^}]*"--host-uds=open"' || return 1
  ! printf '%s' "$runtimes" | grep -q '"runsc":{[^}]*"--host-uds'
}

runsc_failed() {
  if [ "${CI:-}" = "true" ]; then
    say "runsc (gVisor): $*; CI=true needs it (the Docker tests run under runc AND runsc)"
    exit 1
  fi
  say "warning: runsc (gVisor): $*; the Docker workers will use runc only"
  exit 0
}

ensure_runsc() {
  [ "${PALISADE_SKIP_RUNSC:-}" = "1" ] && { say "PALISADE_SKIP_RUNSC=1: runsc not checked"; return 0; }
  if runsc_listed; then
    say "runsc (gVisor) runtimes registered (runsc, runsc-egress)"
    return 0
  fi
  if ! command -v runsc >/dev/null 2>&1; then
    say "runsc missing: installing the Debian package runsc"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq </dev/null || runsc_failed "apt-get update failed"
    as_root apt-get install -y -qq runsc </dev/null || runsc_failed "apt-get install runsc failed"
  fi
  local runsc_path
  runsc_path="$(command -v runsc)" || runsc_failed "still missing after the install"
  local merged
  merged="$(as_root python3 "$HERE/lib/daemon-json-runsc.py" "$DAEMON_JSON" "$runsc_path")" \
    || runsc_failed "could not merge it into $DAEMON_JSON"
  say "runsc in $DAEMON_JSON: $merged"
  local pid
  pid="$(pgrep -x dockerd | head -n 1 || true)"
  [ -n "$pid" ] || runsc_failed "no dockerd process to reload"
  say "reloading dockerd (SIGHUP to pid $pid; no restart)"
  as_root kill -HUP "$pid" || runsc_failed "could not signal dockerd"
  for _ in $(seq 1 20); do
    if runsc_listed; then
      say "runsc (gVisor) runtimes registered (runsc, runsc-egress)"
      return 0
    fi
    sleep 0.5
  done
  runsc_failed "dockerd did not list it after the reload (dockerd log: $LOG_FILE)"
}

if docker info >/dev/null 2>&1; then
  say "daemon already reachable"
  ensure_runsc
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
    ensure_runsc
    exit 0
  fi
  sleep 1
done

say "dockerd did not become reachable within ${WAIT_SECONDS}s; last log lines:"
tail -n 20 "$LOG_FILE" >&2 2>/dev/null || true
exit 1
