# Shared by the service scripts (sourced): a server started in the background, its pid in
# $pid_file, its command line matching $process_pattern (so that a stale pid file never makes
# `down` stop another program that got the same pid). Each script defines `log`.

# Prints the server's pid when it is running; fails otherwise.
running_pid() {
  [ -f "$pid_file" ] || return 1
  local pid
  pid=$(cat "$pid_file")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/cmdline" ] &&
    ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$process_pattern"; then
    return 1
  fi
  echo "$pid"
}

# Whether the process just started (its pid in $pid_file) is still alive: for `up`'s wait, where
# its command line may not show the server yet (between fork and exec).
started_alive() { kill -0 "$(cat "$pid_file")" 2>/dev/null; }

# stop_server SECONDS: stops the server (SIGTERM, SIGKILL after SECONDS), removes the pid file.
stop_server() {
  local pid
  if pid=$(running_pid); then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq $(($1 * 10))); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    log "stopped (pid $pid)"
  fi
  rm -f "$pid_file"
}
