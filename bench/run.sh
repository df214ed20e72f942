#!/usr/bin/env bash
# NFSv3 and NLM benchmark: DittoFS (dittofsd + the nfs3 and nlm plugins) against
# nfs-ganesha (FSAL VFS, its NLM), in the same run, on loopback, with the same client
# (nfsload, libnfs async API). Prints one table of DittoFS/ganesha ratios plus the loopback
# TCP ceiling. `make bench` calls it.
#
# Both servers keep their data in one temporary directory, so they write to the same
# filesystem; both are stopped when the script exits, however it exits.
#
# Knobs (environment):
#   BUILD_DIR       where dittofsd, the plugins and nfsload are (build)
#   NFSLOAD         the client binary ($BUILD_DIR/bin/nfsload)
#   BENCH_TMP       parent of the temporary directory (/tmp)
#   SERVERS         "dittofs ganesha" (either may be left out)
#   WORKLOADS       "seqwrite seqread randread randwrite smallfiles readdirplus getattr locks1 locks16"
#                   (locksN: NLM LOCK+UNLOCK pairs from N clients)
#   BENCH_SIZE      large file size (1G)        BENCH_DEPTH   calls in flight (32)
#   BENCH_WRITE_PASSES seqwrite passes (each a new file), the median reported (3)
#   BENCH_READ_PASSES  seqread passes over the file, the median reported (5)
#   BENCH_FILES     smallfiles/readdirplus (10000)
#   BENCH_SECONDS   randread/randwrite/readdirplus/getattr/locks run time (20)
#   BENCH_MAX_SECONDS  hard bound on any one workload run (300)
#   BENCH_RDP_DEPTH readdirplus listings at once (1)
#   BENCH_OUT       also write the results, one tab-separated line per cell, to this file
#   KEEP=1          keep the temporary directory (logs, configs) for inspection
#   BENCH_SETTLE    seconds to wait after removing it (40; see cleanup())
#
# nfs-ganesha cannot start without an rpcbind to register with (it exits with "Cannot
# register NFS V3 on UDP"), so when none answers on 127.0.0.1 the script starts Debian's
# rpcbind (package rpcbind, installed with apt-get when missing) for the run and stops it
# afterwards. dittofsd needs none: its portmapper is built in and runs here on an
# ephemeral port. For the lock rows ganesha's NLM also needs a status monitor to register
# its clients with, so the script starts Debian's rpc.statd (package nfs-common) the same
# way; dittofsd's NSM is built into its nlm plugin.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac
nfsload="${NFSLOAD:-$build/bin/nfsload}"
dittofsd="$build/bin/dittofsd"
plugins="$build/plugins"
servers="${SERVERS:-dittofs ganesha}"
workloads="${WORKLOADS:-seqwrite seqread randread randwrite smallfiles readdirplus getattr locks1 locks16}"
size="${BENCH_SIZE:-1G}"
depth="${BENCH_DEPTH:-32}"
files="${BENCH_FILES:-10000}"
seconds="${BENCH_SECONDS:-20}"
max_seconds="${BENCH_MAX_SECONDS:-300}"
settle="${BENCH_SETTLE:-40}"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

log() { echo "bench: $*" >&2; }

if [ ! -x "$nfsload" ]; then
  log "$nfsload is missing: build first (cmake --build $build --target nfsload)"
  exit 1
fi

tmp="$(mktemp -d "${BENCH_TMP:-/tmp}/dittofs-bench.XXXXXX")"
chmod 755 "$tmp"
dittofs_pid=""
ganesha_pid=""
rpcbind_pid=""
statd_pid=""

# /proc rather than kill -0, which fails for a root-owned process when not root; a child
# that exited stays a zombie until waited for, and counts as gone.
alive() {
  [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

stop_pid() {
  local pid="$1" name="$2"
  if [ -z "$pid" ] || ! alive "$pid"; then
    wait "$pid" 2>/dev/null || true
    return 0
  fi
  $SUDO kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    if ! alive "$pid"; then
      wait "$pid" 2>/dev/null || true
      return 0
    fi
    sleep 0.1
  done
  log "$name (pid $pid) ignored SIGTERM for 10 s; killing it"
  $SUDO kill -KILL "$pid" 2>/dev/null || true
  # Reap it here, quietly, rather than let the shell report "Killed" later.
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  stop_pid "$dittofs_pid" dittofsd
  stop_pid "$ganesha_pid" ganesha.nfsd
  stop_pid "$statd_pid" rpc.statd
  stop_pid "$rpcbind_pid" rpcbind
  if [ "${KEEP:-0}" = "1" ]; then
    log "kept $tmp"
  else
    $SUDO rm -rf "$tmp"
    # ext4 without a journal will not reuse an inode deleted in the last ~35 s
    # (recently_deleted() in its allocator) and scans past every such inode on each
    # create: right after removing tens of thousands of files, file creation is several
    # times slower. Waiting here keeps one run's cleanup out of the next run's numbers.
    if [ "$settle" -gt 0 ] && [ -n "$dittofs_pid$ganesha_pid" ]; then
      log "waiting $settle s for the file system to settle after the cleanup (BENCH_SETTLE)"
      sleep "$settle"
    fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to $2 seconds for $3 (a fixed string) in file $1, while pid $4 lives.
wait_for_log() {
  local file="$1" secs="$2" needle="$3" pid="$4"
  for _ in $(seq 1 $((secs * 10))); do
    if [ -f "$file" ] && grep -qF -- "$needle" "$file"; then
      return 0
    fi
    alive "$pid" || return 1
    sleep 0.1
  done
  return 1
}

declare -A url reason nlm_port

# ---- dittofsd ----------------------------------------------------------------------------
start_dittofs() {
  local dir="$tmp/dittofs"
  mkdir -p "$dir/data"
  if [ ! -x "$dittofsd" ]; then
    reason[dittofs]="$dittofsd is not built"
    return 1
  fi
  if ! ls "$plugins"/*nfs3*.so >/dev/null 2>&1; then
    reason[dittofs]="no nfs3 protocol plugin in $plugins"
    return 1
  fi
  cat >"$dir/dittofs.toml" <<EOF
[server]
data_dir = "$dir/data"
plugin_dirs = ["$plugins"]
log_file = "$dir/dittofsd.log"
log_level = "info"

[rpc]
bind = "127.0.0.1"
portmap_port = 0

[auth.unix]

[metadata.main]
plugin = "sqlite"
path = "metadata.db"

[blocks.main]
plugin = "localfs"
root = "blocks"

[[share]]
name = "export"
path = "/export"
metadata = "main"
blocks = "main"
squash = "none"

[protocol.nfs3]
port = 0
mount_port = 0

[protocol.nlm]
port = 0
nsm_port = 0
EOF
  "$dittofsd" --config "$dir/dittofs.toml" >"$dir/stderr.log" 2>&1 &
  dittofs_pid=$!
  if ! wait_for_log "$dir/dittofsd.log" 30 "event=ready" "$dittofs_pid"; then
    reason[dittofs]="dittofsd did not become ready: $(tail -n 3 "$dir/dittofsd.log" "$dir/stderr.log" 2>/dev/null | tr '\n' ' ')"
    return 1
  fi
  local nfs_port mount_port
  nfs_port="$(grep -o 'event=rpc_registered name=nfs .*tcp=[0-9]*' "$dir/dittofsd.log" | tail -n 1 | sed 's/.*tcp=//')"
  mount_port="$(grep -o 'event=rpc_registered name=mount .*tcp=[0-9]*' "$dir/dittofsd.log" | tail -n 1 | sed 's/.*tcp=//')"
  if [ -z "$nfs_port" ] || [ -z "$mount_port" ]; then
    reason[dittofs]="dittofsd registered no nfs/mount program (see $dir/dittofsd.log)"
    return 1
  fi
  url[dittofs]="nfs://127.0.0.1/export?nfsport=$nfs_port&mountport=$mount_port&version=3"
  nlm_port[dittofs]="$(grep -o 'event=rpc_registered name=nlm .*tcp=[0-9]*' "$dir/dittofsd.log" | tail -n 1 | sed 's/.*tcp=//')"
  log "dittofsd pid $dittofs_pid: nfs $nfs_port, mount $mount_port, nlm ${nlm_port[dittofs]:-none}"
}

# ---- nfs-ganesha -------------------------------------------------------------------------
start_ganesha() {
  local dir="$tmp/ganesha"
  mkdir -p "$dir/export"
  if ! command -v ganesha.nfsd >/dev/null; then
    reason[ganesha]="ganesha.nfsd is not installed (scripts/deps.sh bench)"
    return 1
  fi
  if ! rpcinfo -p 127.0.0.1 >/dev/null 2>&1; then
    if ! command -v rpcbind >/dev/null; then
      log "installing rpcbind, which nfs-ganesha needs"
      $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rpcbind >&2 || true
    fi
    if ! command -v rpcbind >/dev/null; then
      reason[ganesha]="nfs-ganesha needs rpcbind, which could not be installed"
      return 1
    fi
    # Not "-h 127.0.0.1": Debian 12's rpcbind 1.2.6 aborts with a double free with it.
    $SUDO rpcbind -f >"$dir/rpcbind.log" 2>&1 &
    rpcbind_pid=$!
    for _ in $(seq 1 50); do
      rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && break
      sleep 0.1
    done
    log "started rpcbind (pid $rpcbind_pid) for nfs-ganesha"
  fi
  if [[ " $workloads " == *" locks"* ]] && ! rpcinfo -p 127.0.0.1 2>/dev/null | grep -qw status; then
    if ! command -v rpc.statd >/dev/null; then
      log "installing nfs-common (rpc.statd), which nfs-ganesha's NLM needs"
      $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nfs-common >&2 || true
    fi
    if command -v rpc.statd >/dev/null; then
      # Foreground, no reboot notices to anyone, state kept in the run's directory.
      mkdir -p "$dir/statd/sm" "$dir/statd/sm.bak"
      $SUDO rpc.statd -F -L -P "$dir/statd" >"$dir/statd.log" 2>&1 &
      statd_pid=$!
      for _ in $(seq 1 50); do
        rpcinfo -p 127.0.0.1 2>/dev/null | grep -qw status && break
        sleep 0.1
      done
      log "started rpc.statd (pid $statd_pid) for nfs-ganesha's NLM"
    else
      log "no rpc.statd: ganesha's lock rows will fail"
    fi
  fi
  $SUDO mkdir -p /var/run/ganesha
  local nfs_port mount_port lock_port
  nfs_port="$(free_port)"
  mount_port="$(free_port)"
  while [ "$mount_port" = "$nfs_port" ]; do mount_port="$(free_port)"; done
  lock_port="$(free_port)"
  while [ "$lock_port" = "$nfs_port" ] || [ "$lock_port" = "$mount_port" ]; do lock_port="$(free_port)"; done
  cat >"$dir/ganesha.conf" <<EOF
NFS_CORE_PARAM {
    Protocols = 3;
    Bind_addr = 127.0.0.1;
    NFS_Port = $nfs_port;
    MNT_Port = $mount_port;
    NLM_Port = $lock_port;
    Enable_NLM = true;
    Enable_RQUOTA = false;
}
NFSV4 { Graceless = true; }
EXPORT {
    Export_Id = 1;
    Path = $dir/export;
    Pseudo = /export;
    Protocols = 3;
    Transports = TCP;
    Access_Type = RW;
    Squash = No_Root_Squash;
    SecType = sys;
    FSAL { Name = VFS; }
}
LOG { Default_Log_Level = EVENT; }
EOF
  $SUDO ganesha.nfsd -F -f "$dir/ganesha.conf" -L "$dir/ganesha.log" -p "$dir/ganesha.pid" >"$dir/stderr.log" 2>&1 &
  ganesha_pid=$!
  if ! wait_for_log "$dir/ganesha.log" 30 "NFS SERVER INITIALIZED" "$ganesha_pid"; then
    reason[ganesha]="ganesha.nfsd did not start: $(grep -E 'FATAL|MAJ' "$dir/ganesha.log" 2>/dev/null | tail -n 2 | tr '\n' ' ')"
    return 1
  fi
  url[ganesha]="nfs://127.0.0.1$dir/export?nfsport=$nfs_port&mountport=$mount_port&version=3"
  nlm_port[ganesha]="$lock_port"
  log "ganesha.nfsd pid $ganesha_pid: nfs $nfs_port, mount $mount_port, nlm $lock_port"
}

log "temporary directory $tmp on $(df -T "$tmp" | awk 'NR==2 {print $1" ("$2")"}')"
for s in $servers; do
  case "$s" in
    dittofs) start_dittofs || log "DittoFS column skipped: ${reason[dittofs]}" ;;
    ganesha) start_ganesha || log "ganesha column skipped: ${reason[ganesha]}" ;;
    *) log "unknown server $s"; exit 2 ;;
  esac
done

# ---- workloads ----------------------------------------------------------------------------
args_for() {
  case "$1" in
    seqwrite|seqread) echo "--size $size --depth $depth" ;;
    randread|randwrite) echo "--size $size --depth $depth --seconds $seconds" ;;
    smallfiles) echo "--files $files --dir smallfiles --depth $depth" ;;
    # The directory smallfiles filled, one listing at a time (as one `ls -l` would), each
    # listing a chain of calls. BENCH_RDP_DEPTH runs several listings at once.
    readdirplus) echo "--files $files --dir smallfiles --depth ${BENCH_RDP_DEPTH:-1} --seconds $seconds" ;;
    getattr) echo "--contexts 16 --context-depth 1 --seconds $seconds" ;;
    # One call in flight per client: each pair is LOCK then UNLOCK of its own range.
    locks*) echo "--contexts ${1#locks} --seconds $seconds --nlm-port ${nlm_port[$2]:-0}" ;;
  esac
}

# The nfsload workload behind a row name (locks1, locks16 -> locks).
workload_of() {
  case "$1" in
    locks*) echo locks ;;
    *) echo "$1" ;;
  esac
}

declare -A value unit
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# seqwrite and seqread are passes of a few seconds and of a third of a second, which a
# pause of the machine's own moves by a quarter or more (the writeback of a file just
# written; on this virtual machine, whether the memory a write fills was touched lately):
# each runs several passes, the servers taking turns pass by pass so that a drifting
# machine state weighs on both alike, and the median pass is the cell. seqwrite's passes
# before the last write files of their own (seqwrite.N), each a file created afresh as
# the first pass's; the last writes the large file the later rows read. The first pass
# of each is printed under the table too.
write_passes="${BENCH_WRITE_PASSES:-3}"
read_passes="${BENCH_READ_PASSES:-5}"
declare -A first_pass passes_of

# One nfsload run of row w against server s (extra arguments after), once the previous
# run's dirty pages reached the disk, so that its writeback does not land in this run's
# time; prints nfsload's result line.
load_line() {
  local w="$1" s="$2" extra="${3:-}"
  sync
  sleep 1
  # shellcheck disable=SC2046,SC2086
  "$nfsload" --url "${url[$s]}" --workload "$(workload_of "$w")" $(args_for "$w" "$s") $extra --max-seconds "$max_seconds" 2>&1 | tail -n 1 || true
}

# One pass of workload w against server s; appends its value to passes_of[w,s], or
# marks the cell FAIL.
run_pass() {
  local w="$1" s="$2" extra="${3:-}" line
  [ "${value[$w,$s]:-}" = FAIL ] && return
  line="$(load_line "$w" "$s" "$extra")"
  echo "$s $line" >&2
  if [ -n "$(field unit "$line")" ]; then
    unit[$w]="$(field unit "$line")"
  fi
  if [ -n "${BENCH_OUT:-}" ]; then
    printf '%s\t%s\t%s\n' "$w" "$s" "$line" >>"$BENCH_OUT"
  fi
  if [ "$(field ok "$line")" != "1" ]; then
    value[$w,$s]="FAIL"
    return
  fi
  passes_of[$w,$s]+="$(field value "$line") "
}

# The rows that read the large file measure the servers, not the disk: since DittoFS
# writes large calls uncached (localfs uncached_write_min), its file is not in the page
# cache after seqwrite, where ganesha's is. Before the first of them each server reads the
# file once, untimed; that pass is printed under the table (for DittoFS, a read from the
# disk).
declare -A warm_pass
warm_up() {
  local s line
  for s in $servers; do
    [ -n "${url[$s]:-}" ] && [ -z "${warm_pass[$s]:-}" ] || continue
    line="$(load_line seqread "$s")"
    echo "$s (untimed first read) $line" >&2
    warm_pass[$s]="$(field value "$line")"
    warm_pass[$s]="${warm_pass[$s]:-failed}"
  done
}

for w in $workloads; do
  case "$w" in
    seqread|randread) warm_up ;;
  esac
  passes=1
  [ "$w" = seqwrite ] && passes="$write_passes"
  [ "$w" = seqread ] && passes="$read_passes"
  for ((pass = 1; pass <= passes; pass++)); do
    extra=""
    [ "$w" = seqwrite ] && [ "$pass" -lt "$passes" ] && extra="--file seqwrite.$pass"
    for s in $servers; do
      [ -n "${url[$s]:-}" ] && run_pass "$w" "$s" "$extra"
    done
  done
  for s in $servers; do
    if [ -z "${url[$s]:-}" ]; then
      value[$w,$s]="n/a"
    elif [ "${value[$w,$s]:-}" != FAIL ]; then
      read -r -a vals <<<"${passes_of[$w,$s]}"
      first_pass[$w,$s]="${vals[0]}"
      value[$w,$s]="$(printf '%s\n' "${vals[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
    fi
  done
done

# The ceilings are upper bounds, so the best of three runs each; they are measured in
# the same run as the servers, on the same machine state. tcpceiling sends from memory;
# fileceiling preads every MiB from a cached file first, as a server's READ must.
best_of_three() {
  local w="$1" best="" line v
  for _ in 1 2 3; do
    line="$("$nfsload" --workload "$w" 2>&1 | tail -n 1)" || true
    echo "tcp $line" >&2
    [ -n "${BENCH_OUT:-}" ] && printf '%s\t-\t%s\n' "$w" "$line" >>"$BENCH_OUT"
    v="$(field value "$line")"
    if [[ "$v" =~ ^[0-9.]+$ ]] && { [ -z "$best" ] || awk -v a="$v" -v b="$best" 'BEGIN { exit !(a > b) }'; }; then
      best="$v"
    fi
  done
  echo "$best"
}
ceiling="$(best_of_three tcpceiling)"
file_ceiling="$(best_of_three fileceiling)"

# ---- table --------------------------------------------------------------------------------
echo
printf '| %-11s | %-9s | %10s | %10s | %6s |\n' workload unit DittoFS ganesha ratio
printf '|%s|%s|%s|%s|%s|\n' "-------------" "-----------" "------------" "------------" "--------"
for w in $workloads; do
  d="${value[$w,dittofs]:-n/a}"
  g="${value[$w,ganesha]:-n/a}"
  ratio="-"
  if [[ "$d" =~ ^[0-9.]+$ && "$g" =~ ^[0-9.]+$ ]]; then
    ratio="$(awk -v d="$d" -v g="$g" 'BEGIN { if (g > 0) printf "%.2f", d / g; else print "-" }')"
  fi
  printf '| %-11s | %-9s | %10s | %10s | %6s |\n' "$w" "${unit[$w]:-}" "$d" "$g" "$ratio"
done
# The same loopback link carries both servers' traffic: one ceiling for both columns.
printf '| %-11s | %-9s | %10s | %10s | %6s |\n' "tcpceiling" "MiB/s" "${ceiling:-FAIL}" "${ceiling:-FAIL}" "-"
printf '| %-11s | %-9s | %10s | %10s | %6s |\n' "fileceiling" "MiB/s" "${file_ceiling:-FAIL}" "${file_ceiling:-FAIL}" "-"
for s in dittofs ganesha; do
  if [[ " $servers " == *" $s "* && -n "${reason[$s]:-}" ]]; then
    echo "$s: not measured: ${reason[$s]}"
  fi
done
for s in dittofs ganesha; do
  if [[ "${value[seqread,$s]:-}" =~ ^[0-9.]+$ && "$ceiling" =~ ^[0-9.]+$ ]]; then
    awk -v n="$s" -v r="${value[seqread,$s]}" -v c="$ceiling" -v f="${file_ceiling:-0}" \
      -v p="$read_passes" -v first="${first_pass[seqread,$s]:-0}" \
      'BEGIN { printf "%s seqread: %.0f %% of the loopback TCP ceiling", n, 100 * r / c;
               if (f > 0) printf ", %.0f %% of the file-read ceiling", 100 * r / f;
               if (p > 1) printf " (median of %d passes; the first %.1f MiB/s, %.0f %%)", p, first, 100 * first / c;
               printf "\n" }'
  fi
done
for w in seqwrite seqread; do
  for s in dittofs ganesha; do
    if [ -n "${passes_of[$w,$s]:-}" ]; then
      echo "$s $w passes (${unit[$w]:-}, in order): ${passes_of[$w,$s]% }"
    fi
  done
done
for s in dittofs ganesha; do
  if [ -n "${warm_pass[$s]:-}" ]; then
    echo "$s untimed first read of the large file before the reading rows: ${warm_pass[$s]} MiB/s"
  fi
done
