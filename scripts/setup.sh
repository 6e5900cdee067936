#!/usr/bin/env bash
# Prepares a Debian machine for the daemon and its tests: installs the runtime components from Debian's
# packages, puts a default CNI network in place if there is none, and builds the project.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

PACKAGES=(runc crun conmon containernetworking-plugins iptables iproute2 libssl3 docker-registry busybox-static
          podman skopeo maven)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: installing packages needs root" >&2
    exit 1
  fi
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# Debian's docker-registry package starts a registry on port 5000; tests run their own on random ports.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
elif [ -x /etc/init.d/docker-registry ]; then
  service docker-registry stop >/dev/null 2>&1 || true
fi

# A default CNI network, as CRI-O's packages ship one, when the host has none of its own (podman's
# package brings 87-podman-bridge.conflist, which does not count: ours sorts first and is CRI-O's).
if [ "$(id -u)" -eq 0 ]; then
  mkdir -p /etc/cni/net.d
  if [ -z "$(ls -A /etc/cni/net.d 2>/dev/null | grep -v '^87-podman')" ]; then
    install -m 0644 "$REPO_DIR/config/cni/11-crio-ipv4-bridge.conflist" /etc/cni/net.d/
    echo "setup: installed /etc/cni/net.d/11-crio-ipv4-bridge.conflist"
  fi
fi

if [ "${SETUP_SKIP_BUILD:-}" != "1" ]; then
  (cd "$REPO_DIR" && mvn -B -q -DskipTests install)
  echo "setup: built $REPO_DIR/daemon/target/crio-daemon.jar"
fi
