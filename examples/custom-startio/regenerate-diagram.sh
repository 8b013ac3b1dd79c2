#!/bin/sh
# Regenerates diagram.md (used in README.md) from a real run of the demo
# (virtual clock): experiment 2's first three reads (IRP#8-10) and the
# write (IRP#18).
# Usage: examples/custom-startio/regenerate-diagram.sh [build directory]
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
IRPSIM_TRACE=mermaid IRPSIM_TRACE_MERMAID="$here/diagram.md" IRPSIM_TRACE_MERMAID_IRPS=8,9,10,18 \
    "$build/examples/custom-startio/custom_startio_demo" > /dev/null
echo "wrote $here/diagram.md"
