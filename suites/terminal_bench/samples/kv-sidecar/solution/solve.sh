#!/bin/bash
set -euo pipefail
exec 3<>"/dev/tcp/${KV_HOST}/${KV_PORT}"
echo "GET launch-code" >&3
read -r value <&3
echo "$value" > /app/launch-code.txt
