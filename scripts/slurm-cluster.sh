#!/usr/bin/env bash
# A real single-node Slurm cluster on localhost for the cluster tests (issue #9), everything in one private folder:
# munged with its own key and socket, slurmctld and slurmd with a slurm.conf written here (the system's /etc/slurm is
# not touched). Installs nothing: `.ci/run` installs Debian's `slurm-wlm` and `munge` (see docs/cluster.md).
#
#   scripts/slurm-cluster.sh start [DIR]   start (idempotent: a running cluster in DIR is reused); prints
#                                          `export SLURM_CONF=DIR/slurm.conf` as its last line
#   scripts/slurm-cluster.sh stop [DIR]    shut down and remove DIR
#
# DIR defaults to /tmp/cnnlens-slurm (keep it short: munge's socket path must stay under ~108 characters).
# Exit codes: 0 ok, 77 Slurm or munge not installed, 1 the cluster did not come up (logs are printed).
# The recipe and its pitfalls: ../shared/docs/SLURM_NOTES.md.
set -u
CMD=${1:-}
B=${2:-${CNNLENS_SLURM_DIR:-/tmp/cnnlens-slurm}}
CONF=$B/slurm.conf
export SLURM_CONF=$CONF

need() {
  for b in munged mungekey munge slurmctld slurmd sbatch squeue scontrol scancel sinfo; do
    command -v "$b" >/dev/null || { echo "SKIP: '$b' is not installed (apt-get install slurm-wlm munge)" >&2; exit 77; }
  done
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

node_state() { timeout 5 sinfo -h -o %t 2>/dev/null | head -1; }

dump_logs() {
  for f in "$B"/log/*.log "$B"/munge/log; do [ -f "$f" ] && { echo "==== $f"; tail -n 40 "$f"; }; done >&2
}

# A free TCP port pair: a connection to a port in use succeeds.
free_port() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || (exec 3<>"/dev/tcp/127.0.0.1/$((p + 1))") 2>/dev/null; do p=$((p + 2)); done
  echo "$p"
}

start() {
  need
  if alive "$B/slurmctld.pid" && alive "$B/slurmd.pid" && alive "$B/munge/pid" && [ "$(node_state)" = idle ]; then
    echo "slurm already running in $B" >&2
    echo "export SLURM_CONF=$CONF"
    return 0
  fi
  stop_daemons
  rm -rf "$B"
  mkdir -p "$B"/{munge,state,spool,log} && chmod 755 "$B" "$B/munge"
  mungekey -c -k "$B/munge/munge.key" 2>/dev/null || { dd if=/dev/urandom of="$B/munge/munge.key" bs=1024 count=1 status=none; chmod 600 "$B/munge/munge.key"; }
  munged -S "$B/munge/sock" --key-file="$B/munge/munge.key" --pid-file="$B/munge/pid" \
         --seed-file="$B/munge/seed" --log-file="$B/munge/log" || { dump_logs; exit 1; }
  # slurmctld loops forever when munge does not answer: check it first.
  munge -S "$B/munge/sock" -n | unmunge -S "$B/munge/sock" >/dev/null || { echo "munge does not work" >&2; dump_logs; exit 1; }
  local port cpus mem
  port=$(free_port 16817)
  cpus=$(nproc)
  # RealMemory above the machine's makes the node invalid: stay below it.
  mem=$(awk '/MemTotal/ { m = int($2 / 1024 * 0.8); print (m > 8000 ? 8000 : m) }' /proc/meminfo)
  cat > "$CONF" <<CONF
ClusterName=cnnlens
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$B/munge/sock
StateSaveLocation=$B/state
SlurmdSpoolDir=$B/spool
SlurmctldPidFile=$B/slurmctld.pid
SlurmdPidFile=$B/slurmd.pid
SlurmctldLogFile=$B/log/slurmctld.log
SlurmdLogFile=$B/log/slurmd.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
DependencyParameters=kill_invalid_depend
SchedulerParameters=sched_min_interval=200000
NodeName=localhost CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  slurmctld -i || { dump_logs; exit 1; }
  slurmd -N localhost || { dump_logs; exit 1; }
  local t=0
  until [ "$(node_state)" = idle ]; do
    sleep 0.2; t=$((t + 1))
    if [ $t -ge 150 ]; then echo "slurm did not come up within 30 s (node state: '$(node_state)')" >&2; dump_logs; exit 1; fi
  done
  echo "slurm up in $B (ports $port/$((port + 1)), $cpus CPUs)" >&2
  echo "export SLURM_CONF=$CONF"
}

# Waits until the process in pid file $1 (or pid $2) is gone, up to ~10 s; then kills it.
wait_gone() {
  local pid=$1 t=0
  while kill -0 "$pid" 2>/dev/null && [ $t -lt 50 ]; do sleep 0.2; t=$((t + 1)); done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  return 0
}

stop_daemons() {
  local pids=() f
  for f in "$B/slurmctld.pid" "$B/slurmd.pid"; do alive "$f" && pids+=("$(cat "$f")"); done
  [ ${#pids[@]} -gt 0 ] && [ -f "$CONF" ] && timeout 10 scontrol shutdown >/dev/null 2>&1
  for p in "${pids[@]}"; do wait_gone "$p"; done
  if alive "$B/munge/pid"; then
    local mp; mp=$(cat "$B/munge/pid")
    kill "$mp" 2>/dev/null; wait_gone "$mp"
  fi
}

case "$CMD" in
  start) start ;;
  stop) stop_daemons; rm -rf "$B"; echo "slurm stopped ($B removed)" >&2 ;;
  *) echo "usage: $0 start|stop [DIR]" >&2; exit 2 ;;
esac
