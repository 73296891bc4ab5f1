"""Before the verifier: no process the agent started survives (a deliberate deviation from Harbor).

Harbor runs the verifier in the trial's container with whatever the agent left running, so a background loop
(`nohup sh -c 'while :; do echo 1 > /logs/verifier/reward.txt; sleep 0.1; done' &`) can overwrite the reward
after test.sh wrote it. Here, one root exec in the task container stops, then kills, every process but PID 1,
the container's own command (PID 1's first child under `init: true`) and the exec itself, repeating until a pass
finds none (a process forking while it is stopped cannot escape), sparing only its own ancestors (inspect's exec
wrapper). The commands it killed are recorded.
"""

from __future__ import annotations

from inspect_ai.util import SandboxEnvironment

from harness.errors import HarnessError

# Prints one `killed <pid> <command>` line per process; stops after 20 passes that still find processes.
KILL_SCRIPT = r"""
keep=" 1 $$ "
pid=$$
while [ "$pid" -gt 1 ]; do  # the exec's ancestors (inspect wraps it in `timeout`)
  pid=$(sed -n 's/^PPid:\s*//p' "/proc/$pid/status" 2>/dev/null); [ -n "$pid" ] || break
  keep="$keep$pid "
done
if [ "$(cat /proc/1/comm 2>/dev/null)" = docker-init ] || [ "$(cat /proc/1/comm 2>/dev/null)" = tini ]; then
  first=$(cat /proc/1/task/1/children 2>/dev/null | tr ' ' '\n' | grep -v '^$' | sort -n | head -1)
  keep="$keep$first "
fi
for pass in $(seq 1 20); do
  found=""
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    case "$keep" in *" $pid "*) continue ;; esac
    state=$(sed -n 's/^State:\s*\(.\).*/\1/p' "$dir/status" 2>/dev/null)
    [ -z "$state" ] || [ "$state" = Z ] && continue
    # the exec's own children (sed, tr, ...) have this shell as parent
    ppid=$(sed -n 's/^PPid:\s*//p' "$dir/status" 2>/dev/null)
    [ "$ppid" = "$$" ] && continue
    found="$found $pid"
  done
  [ -z "$found" ] && exit 0
  for pid in $found; do kill -STOP "$pid" 2>/dev/null; done
  for pid in $found; do
    cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-120)
    kill -KILL "$pid" 2>/dev/null && echo "killed $pid $cmd"
  done
  sleep 0.2
done
echo "still running after 20 passes:$found" >&2
exit 1
"""


async def kill_agent_processes(box: SandboxEnvironment) -> list[str]:
    """Kill everything the agent left running in the task container; the killed commands, in order."""
    result = await box.exec(["bash", "-c", KILL_SCRIPT], user="root", timeout=120)
    if not result.success:
        raise HarnessError(f"could not stop the agent's processes before the verifier: {result.stderr.strip()[-300:]}")
    return [line.split(" ", 2)[-1] for line in result.stdout.splitlines() if line.startswith("killed ")]
