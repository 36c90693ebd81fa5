#!/usr/bin/env bash
# Install the Debian packages named as arguments, only those missing; never start their system services
# (the reference stack runs its own instances on 127.0.0.1).
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "opsgate: installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "opsgate: need root to install ${missing[*]} (run 'sudo make setup')" >&2
  exit 1
fi
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" > /tmp/opsgate-apt.log 2>&1 \
  || { tail -20 /tmp/opsgate-apt.log >&2; exit 1; }
