#!/bin/bash
# Runs from the task container's workdir (/app), as Harbor runs it. Reward 1 when launch-code.txt holds the kv
# service's value for launch-code; the reward goes to reward.json with the check's details.
mkdir -p /logs/verifier
if [ "$PWD" = "/app" ] && [ "$(cat launch-code.txt 2>/dev/null)" = "7-alpha-7-omega" ]; then
  reward=1
else
  reward=0
fi
printf '{"reward": %d, "workdir_is_app": %d}\n' "$reward" "$([ "$PWD" = /app ] && echo 1 || echo 0)" \
  > /logs/verifier/reward.json
