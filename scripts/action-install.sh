#!/usr/bin/env bash
# The Action's install step: Enamel with every extra its inputs need (structured inputs, the
# `extras` input, and the sources named in `args`), from the action's own checkout. An
# `enamel` already on PATH (a self-hosted runner's) is used as is.
set -euo pipefail
extras=()
[ -n "${PULUMI:-}" ] && extras+=(pulumi)
[ -n "${ONPREM:-}" ] && extras+=(onprem)
[ "${AWS:-false}" = "true" ] && extras+=(aws)
for word in ${ARGS:-}; do  # a look at the flags only: the scan step parses args properly
  case "$word" in
    --pulumi|--pulumi=*) extras+=(pulumi) ;;
    --onprem|--onprem=*) extras+=(onprem) ;;
    --aws) extras+=(aws) ;;
    --azure|--azure-*) extras+=(azure) ;;
  esac
done
IFS=',' read -r -a more <<< "${EXTRAS:-}"
for e in "${more[@]}"; do e="${e// /}"; [ -n "$e" ] && extras+=("$e"); done
list=$(printf '%s\n' "${extras[@]}" | sort -u | paste -sd, -)
if command -v enamel >/dev/null 2>&1; then
  echo "using $(command -v enamel)"
  exit 0
fi
target="${ACTION_PATH:?}"
[ -n "$list" ] && target="$target[$list]"
echo "installing enamel-hipaa${list:+ with extras: $list}"
python -m pip install --quiet "$target"
