#!/bin/bash
# Reward 1 when /app/sum.txt holds the sum of /app/numbers.txt (266).
mkdir -p /logs/verifier
if [ "$(tr -d '[:space:]' < /app/sum.txt 2>/dev/null)" = "266" ]; then
  echo 1 > /logs/verifier/reward.txt
else
  echo 0 > /logs/verifier/reward.txt
fi
