#!/bin/sh
# Install Debian's Orthanc and nginx with its stream module (on-prem tests and demo; nginx
# `stream {}` DICOM-over-TLS proxies), poppler-utils (pdftoppm and pdfinfo: the printed-report
# checks) and PostgreSQL (the shared-history tests: tests/pgserver.py runs initdb + pg_ctl),
# when missing. A temporary policy-rc.d keeps apt from
# starting the servers as system services: tests and `enamel demo` start their own instances
# on 127.0.0.1 and stop them by PID.
set -eu
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
PKGS=""
have Orthanc || PKGS="$PKGS orthanc"
have nginx || PKGS="$PKGS nginx"
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || PKGS="$PKGS libnginx-mod-stream"
have pdftoppm || PKGS="$PKGS poppler-utils"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || have initdb || PKGS="$PKGS postgresql"
if [ -z "$PKGS" ]; then exit 0; fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
POLICY=/usr/sbin/policy-rc.d
created=""
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod +x "$POLICY"
  created=1
fi
trap '[ -n "$created" ] && $SUDO rm -f "$POLICY"' EXIT
$SUDO apt-get update
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y $PKGS
