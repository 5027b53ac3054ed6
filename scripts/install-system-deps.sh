#!/bin/sh
# Install Debian's Orthanc and nginx (with its stream module: DICOM-over-TLS proxies) for the on-prem tests and demo, when missing.
# A temporary policy-rc.d keeps apt from starting them as system services: tests and
# `enamel demo` start their own instances on 127.0.0.1 and stop them by PID.
set -eu
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
if have Orthanc && have nginx && [ -e /usr/lib/nginx/modules/ngx_stream_module.so ]; then exit 0; fi
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
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y orthanc nginx libnginx-mod-stream
