#!/bin/sh
# Regenerates diagram.md (used in README.md) from a real run of the demo:
# a pool IRP sent four times (IRP#1), an IoAllocateIrp IRP pended and
# completed from a DPC (IRP#5), and the threaded IRP freed in its
# completion routine (IRP#9).
# Usage: examples/roll-your-own/regenerate-diagram.sh [build directory]
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
IRPSIM_TRACE=mermaid IRPSIM_TRACE_MERMAID="$here/diagram.md" IRPSIM_TRACE_MERMAID_IRPS=1,5,9 \
    "$build/examples/roll-your-own/roll_your_own_demo" > /dev/null 2>&1 || true
echo "wrote $here/diagram.md"
