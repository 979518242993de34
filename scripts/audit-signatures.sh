#!/usr/bin/env bash
# Runs `npm audit signatures` and reports the result (see scripts/lib/audit-signatures.ts for exit codes).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$root/node_modules/.bin/node" "$root/scripts/lib/audit-signatures.ts" "$@"
