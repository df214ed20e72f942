#!/usr/bin/env bash
# The vendor flow test (tests/vendor/CMakeLists.txt).
#
#   vendor_flow.sh <dittofs build dir> <skeleton_store source dir> [dittofsd]
#
# Does what the skeleton's README tells a vendor to do, with nothing from the DittoFS
# tree but the installed SDK: a missing header, kit source or CMake file in the install
# rules fails here, not at a vendor's. Set DFS_VENDOR_KEEP=1 to keep the work directory.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 <dittofs build dir> <skeleton source dir> [dittofsd]" >&2
  exit 2
fi
build_dir=$1
skeleton_src=$2
dittofsd=${3:-}
jobs=${DFS_VENDOR_JOBS:-2}

work=$(mktemp -d "${TMPDIR:-/tmp}/dfs-vendor-XXXXXX")
if [ "${DFS_VENDOR_KEEP:-0}" = 1 ]; then
  echo "work directory: $work"
else
  trap 'rm -rf "$work"' EXIT
fi

step() { echo "== $*"; }
fail() { echo "vendor_flow: FAIL: $*" >&2; exit 1; }

step "install the SDK into $work/sdk"
cmake --install "$build_dir" --component sdk --prefix "$work/sdk"
for f in \
  include/dittofs/abi/dittofs.h \
  include/dittofs/abi/store.h \
  include/dittofs/cpp/store.hpp \
  include/dittofs/cpp/store_client.hpp \
  include/dittofs/cpp/fake_host.hpp \
  share/dittofs/kit/kit.hpp \
  share/dittofs/kit/kit_main.cpp \
  lib/cmake/DittoFSSDK/DittoFSSDKConfig.cmake \
  lib/cmake/DittoFSSDK/DittoFSSDKConfigVersion.cmake \
  lib/cmake/DittoFSSDK/DittoFSSDKFunctions.cmake; do
  [ -f "$work/sdk/$f" ] || fail "the SDK install lacks $f"
done
ls "$work/sdk"/share/dittofs/kit/block*.cpp >/dev/null 2>&1 || fail "the SDK install lacks the block store kit tests"

step "configure $skeleton_src as a separate project"
cmake -S "$skeleton_src" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/sdk"

step "build"
cmake --build "$work/build" -j "$jobs"
[ -f "$work/build/skeleton_store.so" ] || fail "no skeleton_store.so in $work/build"

step "run the skeleton's conformance kit"
listed=$(ctest --test-dir "$work/build" -N)
grep -q skeleton_kit <<<"$listed" || fail "the skeleton project registered no kit test"
ctest --test-dir "$work/build" --output-on-failure --no-tests=error || fail "the skeleton store fails its kit"

if [ -n "$dittofsd" ] && [ ! -x "$dittofsd" ]; then
  step "dittofsd is not built ($dittofsd): plugin loading not checked"
elif [ -n "$dittofsd" ]; then
  step "dittofsd plugins --plugin-dir $work/build"
  status=0
  out=$("$dittofsd" plugins --plugin-dir "$work/build" 2>&1) || status=$?
  echo "$out"
  [ "$status" -eq 0 ] || fail "dittofsd plugins exited with $status"
  grep 'skeleton' <<<"$out" | grep -qE ' ok$' || fail "dittofsd did not accept the skeleton store"
else
  step "dittofsd is not part of this build: plugin loading not checked"
fi

step "vendor flow passed"
