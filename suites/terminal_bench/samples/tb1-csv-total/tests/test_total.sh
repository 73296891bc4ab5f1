#!/bin/bash
set -e
expected=430
actual=$(tr -d '[:space:]' < /app/total.txt)
echo "expected $expected, got $actual"
[ "$actual" = "$expected" ]
