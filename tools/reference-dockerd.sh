#!/bin/bash
# Runs Debian's dockerd as a private "reference Docker" that fixture recorders and benchmarks compare
# berth against. It has its own socket, data root and exec root, so it never touches a system dockerd.
#   tools/reference-dockerd.sh start    # idempotent; waits until `docker info` answers
#   tools/reference-dockerd.sh stop     # idempotent; kills the daemon, waits, unmounts leftovers
#   tools/reference-dockerd.sh status   # exit 0 when the daemon answers
#   eval "$(tools/reference-dockerd.sh env)"   # exports DOCKER_HOST (and DOCKER_BUILDKIT=1)
# Networking is off (--bridge=none, no iptables): use `docker build --network none` (a RUN on the default
# network fails with "network bridge not found") and `docker run --network none`.
set -euo pipefail

run_dir=${BERTH_REF_RUN_DIR:-/run/berth-ref-docker}
data_root=${BERTH_REF_DATA_ROOT:-/var/lib/berth-ref-docker}
exec_root=$run_dir/exec
pidfile=$run_dir/docker.pid
sock=$run_dir/docker.sock
host=unix://$sock
log=$run_dir/dockerd.log
dockerd=${DOCKERD:-/usr/sbin/dockerd}
# The 20.10 client talks to the daemon's built-in BuildKit without buildx.
docker_cli=${DOCKER_CLI:-/usr/bin/docker}

answers() { DOCKER_HOST=$host "$docker_cli" info >/dev/null 2>&1; }

running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # Guard against a recycled pid: it must be our dockerd (matched by its exec root).
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--exec-root $exec_root" || return 1
  echo "$pid"
}

# Mounts under our roots, deepest first, so parents unmount after their children.
our_mounts() {
  awk -v a="$data_root" -v b="$run_dir" '{ p=$5; gsub(/\\040/, " ", p)
    if (index(p, a) == 1 || index(p, b) == 1) print length(p) "\t" p }' /proc/self/mountinfo |
    sort -rn | cut -f2-
}

unmount_leftovers() {
  local m
  while IFS= read -r m; do
    [ -n "$m" ] && { umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; }
  done < <(our_mounts)
}

start() {
  if running_pid >/dev/null; then
    wait_ready
    return
  fi
  mkdir -p "$run_dir" "$exec_root" "$data_root"
  rm -f "$pidfile" "$sock"
  # setsid: the daemon must outlive this script and not get the caller's terminal signals.
  setsid "$dockerd" \
    --host "$host" \
    --data-root "$data_root" \
    --exec-root "$exec_root" \
    --pidfile "$pidfile" \
    --iptables=false --ip6tables=false --ip-masq=false --bridge=none \
    --storage-driver=overlay2 \
    --log-level=warn \
    >"$log" 2>&1 </dev/null &
  wait_ready
}

wait_ready() {
  local i
  for i in $(seq 1 120); do
    answers && return 0
    if [ "$i" -gt 5 ] && ! running_pid >/dev/null && ! pgrep -f -- "--exec-root $exec_root" >/dev/null; then
      echo "reference-dockerd: dockerd exited; last log lines:" >&2
      tail -n 20 "$log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  echo "reference-dockerd: dockerd did not answer within 60s (log: $log)" >&2
  return 1
}

stop() {
  local pid i
  if pid=$(running_pid); then
    kill -TERM "$pid"
    for i in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "reference-dockerd: dockerd $pid ignored SIGTERM for 30s; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
    fi
  fi
  # The managed containerd normally exits with dockerd; reap one that did not (matched by our exec root).
  local cpid
  for cpid in $(pgrep -f -- "--config $exec_root/containerd/containerd.toml" || true); do
    kill -TERM "$cpid" 2>/dev/null || true
  done
  unmount_leftovers
  rm -f "$pidfile" "$sock"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) answers ;;
  env)
    echo "export DOCKER_HOST=$host"
    echo "export DOCKER_BUILDKIT=1"
    ;;
  *)
    echo "usage: $0 start|stop|status|env" >&2
    exit 2
    ;;
esac
