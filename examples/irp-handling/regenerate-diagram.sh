#!/bin/sh
# Regenerates diagram.md (used in README.md) from a real run of the demo:
# scenario 2's four interleavings (IRP#4 to IRP#7) and the published
# routine's use after free (IRP#22).
# Usage: examples/irp-handling/regenerate-diagram.sh [build directory]
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
IRPSIM_TRACE=mermaid IRPSIM_TRACE_MERMAID="$here/diagram.md" IRPSIM_TRACE_MERMAID_IRPS=4,5,6,7,22 \
    "$build/examples/irp-handling/irp_handling_demo" > /dev/null
echo "wrote $here/diagram.md"
