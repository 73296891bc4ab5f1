#!/bin/bash
# allow_internet = false: the container must have no interface but loopback and reach nothing outside.
# Reward 1 only when that holds and /root/interfaces.txt lists the interfaces.
mkdir -p /logs/verifier
reward=1
actual=$(ls /sys/class/net | sort)
if [ "$actual" != "lo" ]; then
  echo "network is enabled: interfaces $(echo $actual)"; reward=0
fi
if timeout 5 bash -c 'exec 3<>/dev/tcp/deb.debian.org/80' 2>/dev/null; then
  echo "an outside host is reachable"; reward=0
fi
if [ "$(cat /root/interfaces.txt 2>/dev/null)" != "$actual" ]; then
  echo "/root/interfaces.txt does not list the interfaces"; reward=0
fi
echo "$reward" > /logs/verifier/reward.txt
