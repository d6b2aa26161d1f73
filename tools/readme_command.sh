#!/usr/bin/env bash
# Print the N-th command of README.md's "Two commands" section (1: install + demo, 2: install + tests), so that CI
# runs exactly what the README tells a new user to type.
set -euo pipefail
N=${1:?usage: tools/readme_command.sh N}
README="$(dirname "$0")/../README.md"
awk -v n="$N" '
  /^## / { in_section = ($0 ~ /^## Two commands/) }
  in_section && /^```bash/ { in_block = 1; next }
  in_block && /^```/ { in_block = 0; next }
  in_section && in_block && NF { count++; if (count == n) { print; exit } }
' "$README" | grep . || { echo "readme_command: no command $N in README.md's 'Two commands' section" >&2; exit 1; }
