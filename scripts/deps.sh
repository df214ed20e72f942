#!/usr/bin/env bash
# Installs the Debian 12 packages DittoFS needs to build, test and run, when missing.
# Usage: scripts/deps.sh [build|test|bench]
set -euo pipefail

what="${1:-build}"

build_pkgs=(
  build-essential cmake ninja-build ccache pkg-config
  libboost-dev libboost-filesystem-dev
  qt6-base-dev
  libspdlog-dev libfmt-dev libtomlplusplus-dev
  libsqlite3-dev libssl-dev libkrb5-dev
  libgtest-dev libgmock-dev
  libnfs-dev
)
test_pkgs=(libnfs-utils smbclient sqlite3 python3 rpcbind)
bench_pkgs=(nfs-ganesha nfs-ganesha-vfs rpcbind nfs-common)

pkgs=("${build_pkgs[@]}")
case "$what" in
  test) pkgs+=("${test_pkgs[@]}") ;;
  bench) pkgs+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
