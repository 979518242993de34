#!/usr/bin/env python3
"""Registers runsc (gVisor) and runsc-egress in a dockerd daemon.json, as a JSON merge (issue 20, 16).

usage: daemon-json-runsc.py DAEMON_JSON RUNSC_PATH
Keeps every other key and every other runtime; writes atomically; backs the old file up to
DAEMON_JSON.palisade-bak before changing it; prints "unchanged" (nothing written) or "written".
Exits 2 with a message when the file is not a JSON object (it is then left untouched).

runtimeArgs: --platform=ptrace (the packaged runsc has no systrap; ptrace works without KVM),
--network=none (Docker's "none" network still hands runsc a namespace it refuses), and
--oci-seccomp (without it runsc IGNORES the container's seccomp profile; with it the Sentry
applies the profile to the worker's syscalls inside the sandbox), and --overlay2=none (this
runsc's default wraps the root filesystem in a writable in-memory overlay, so a read-only root
would accept writes; without the overlay writes fail with EROFS as under runc).

runsc-egress (issue 16 item 2): the same runsc with the same arguments plus --host-uds=open, only
for upstream MCP servers registered with network "egress-allowlist". Their one way out is a unix
socket bind-mounted from the host (the gateway's egress tunnel); gVisor answers a connect to a
host unix socket with EPERM unless --host-uds=open. `open` lets the sandbox connect to host
sockets it was given by a mount; it cannot create any (that would be `create`). The main runsc
runtime (the workers, network "none" servers) never gets it.
"""
import json
import os
import shutil
import sys

RUNTIME_ARGS = ["--platform=ptrace", "--network=none", "--oci-seccomp", "--overlay2=none"]
EGRESS_RUNTIME = "runsc-egress"
EGRESS_RUNTIME_ARGS = RUNTIME_ARGS + ["--host-uds=open"]


def main(argv):
    if len(argv) != 3:
        print("usage: daemon-json-runsc.py DAEMON_JSON RUNSC_PATH", file=sys.stderr)
        return 2
    path, runsc = argv[1], argv[2]
    want = {"runsc": {"path": runsc, "runtimeArgs": RUNTIME_ARGS},
            EGRESS_RUNTIME: {"path": runsc, "runtimeArgs": EGRESS_RUNTIME_ARGS}}
    config = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            config = json.loads(text) if text.strip() else {}
        except ValueError as e:
            print(f"{path} is not valid JSON ({e}); left untouched", file=sys.stderr)
            return 2
        if not isinstance(config, dict):
            print(f"{path} is not a JSON object; left untouched", file=sys.stderr)
            return 2
    runtimes = config.get("runtimes")
    if runtimes is None:
        runtimes = {}
    if not isinstance(runtimes, dict):
        print(f"{path}: \"runtimes\" is not an object; left untouched", file=sys.stderr)
        return 2
    if all(runtimes.get(name) == entry for name, entry in want.items()):
        print("unchanged")
        return 0
    if os.path.exists(path):
        shutil.copy2(path, path + ".palisade-bak")
    runtimes.update(want)
    config["runtimes"] = runtimes
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".palisade-tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)
    print("written")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
