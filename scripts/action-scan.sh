#!/usr/bin/env bash
# The Action's scan step: builds the `enamel scan` argv as an array (structured inputs, then
# `args` split like a shell command line by Python's shlex: quotes kept, nothing evaluated),
# runs it, and records the exit code, report paths and a per-job artifact name as outputs.
set -euo pipefail
out="${OUT:-enamel-reports}"
cmd=(enamel scan --ci --fail-on "${FAIL_ON:-high}" --format table,sarif,junit,json --output-dir "$out")
if [ -n "${IAC:-}" ]; then read -r -a iac <<< "$IAC"; cmd+=(--iac "${iac[@]}"); fi
if [ -n "${PULUMI:-}" ]; then cmd+=(--pulumi "$PULUMI"); fi
if [ -n "${PULUMI_STACK:-}" ]; then cmd+=(--pulumi-stack "$PULUMI_STACK"); fi
if [ -n "${ONPREM:-}" ]; then cmd+=(--onprem "$ONPREM"); fi
if [ -n "${RESOURCES:-}" ]; then read -r -a res <<< "$RESOURCES"; for r in "${res[@]}"; do cmd+=(--resources "$r"); done; fi
if [ "${AWS:-false}" = "true" ]; then cmd+=(--aws); fi
if [ -n "${TENANT:-}" ]; then cmd+=(--tenant "$TENANT"); fi
if [ -n "${WAIVERS:-}" ]; then cmd+=(--waivers "$WAIVERS"); fi
if [ -n "${BASELINE:-}" ]; then cmd+=(--baseline "$BASELINE"); fi
if [ -n "${ARGS:-}" ]; then
  split='import os, shlex, sys; sys.stdout.write("".join(a + "\0" for a in shlex.split(os.environ["ARGS"])))'
  if ! python3 -c "$split" >/dev/null 2>&1; then
    echo "::error::the args input is not a valid command line (unbalanced quotes?)"
    exit 2
  fi
  mapfile -d '' extra < <(python3 -c "$split")
  cmd+=("${extra[@]}")
fi
hash=$(printf '%s\n' "${cmd[@]}" | sha256sum | cut -c1-8)
artifact="${ARTIFACT:-enamel-reports-${GITHUB_JOB:-job}-$hash}"
set +e
"${cmd[@]}"
code=$?
set -e
{
  echo "exit-code=$code"
  echo "artifact=$artifact"
  if [ -f "$out/enamel-report.sarif" ]; then
    echo "sarif=$out/enamel-report.sarif"
    echo "junit=$out/enamel-junit.xml"
  fi
} >> "${GITHUB_OUTPUT:-/dev/null}"
[ -f "$out/enamel-report.sarif" ] || echo "::error::enamel wrote no report (exit status $code)"
exit 0
