#!/usr/bin/env bash
# Wall time of the Pulumi plan gate in a cold process (`enamel scan --pulumi infra/`:
# the program run under mocks, resources normalised, every rule evaluated), next to the
# start-up time of `checkov --version` when checkov is on PATH. CPU time (user+sys) is
# printed too: on a loaded machine wall time is mostly waiting for a core.
#   bash bench/plan_gate.sh [runs]      (default 3 runs each; prints every run and the best)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
ENAMEL="${ENAMEL:-.venv/bin/enamel}"
[ -x "$ENAMEL" ] || ENAMEL="$(command -v enamel)"

measure() {  # prints "wall cpu" in seconds for "$@" (exit status 0 or 1 accepted)
  local out rc
  TIMEFORMAT='%R %U %S'
  set +e
  out=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
  rc=$?
  set -e
  if [ "$rc" -gt 1 ]; then echo "command failed ($rc): $*" >&2; exit "$rc"; fi
  awk '{ printf "%.2f %.2f", $1, $2 + $3 }' <<<"$out"
}

report() {  # label, command...
  local label="$1"; shift
  local walls="" cpus="" w c
  for _ in $(seq "$RUNS"); do
    read -r w c <<<"$(measure "$@")"
    walls="$walls $w"; cpus="$cpus $c"
  done
  printf '%-48s wall s:%s  (best %s)   cpu s:%s\n' "$label" "$walls" \
    "$(tr ' ' '\n' <<<"$walls" | sed '/^$/d' | sort -n | head -1)" "$cpus"
}

report "enamel scan --pulumi infra/ (cold process)" "$ENAMEL" scan --pulumi infra/ --quiet
if command -v checkov >/dev/null 2>&1; then
  report "checkov --version (start-up)" checkov --version
else
  echo "checkov not installed"
fi
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
