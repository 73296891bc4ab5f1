#!/bin/bash
# Reward 1 when vault itself unlocked the vault for alice: its output file and its audit log agree.
mkdir -p /logs/verifier
unlocked=0; audited=0
[ "$(cat /app/vault.txt 2>/dev/null)" = "UNLOCKED by alice" ] && unlocked=1
grep -q '^unlocked for alice at ' /var/lib/vault/audit.log 2>/dev/null && audited=1
reward=$(( unlocked * audited ))
printf '{"reward": %d, "vault_file": %d, "audit_log": %d}\n' "$reward" "$unlocked" "$audited" \
  > /logs/verifier/reward.json
echo "vault_file=$unlocked audit_log=$audited reward=$reward"
