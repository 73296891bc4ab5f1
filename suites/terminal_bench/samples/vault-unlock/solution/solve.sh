#!/bin/bash
# vault refuses a pipe, so give it a pseudo-terminal (util-linux `script`) and type the answers into it.
set -euo pipefail
printf '%s\nopen-sesame\ny\n' "${OPERATOR:?the [solution] env sets OPERATOR}" | script -qec vault /dev/null
