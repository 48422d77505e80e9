#!/usr/bin/env bash
# Installs Debian's nginx for the test that runs plandash behind it, when
# missing. The test starts its own nginx on a loopback port: the system
# service is neither started by the install nor enabled afterwards.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "The nginx test needs Debian's nginx: apt-get install nginx (then: systemctl disable --now nginx)" >&2
    exit 1
  fi
fi
# Debian's postinst starts nginx on port 80; a policy-rc.d that answers 101
# ("action forbidden") keeps invoke-rc.d and deb-systemd-invoke from doing so.
# An existing policy is left as it is.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  trap '$sudo rm -f "$policy"' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq nginx >/dev/null
# Not started at boot either.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  $sudo systemctl disable --now nginx >/dev/null 2>&1 || true
elif command -v update-rc.d >/dev/null 2>&1; then
  $sudo update-rc.d nginx disable >/dev/null 2>&1 || true
fi
