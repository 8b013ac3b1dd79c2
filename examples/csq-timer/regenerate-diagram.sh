#!/bin/sh
# Regenerates diagram.md (used in README.md) from a real run of the demo on
# the virtual clock with Sleep(1500): the three IOCTL_QUEUE requests
# (IRP#2-4) and IOCTL_PROCESS (IRP#5).
# Usage: examples/csq-timer/regenerate-diagram.sh [build directory]
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
IRPSIM_TRACE=mermaid IRPSIM_TRACE_MERMAID="$here/diagram.md" IRPSIM_TRACE_MERMAID_IRPS=2,3,4,5 \
    "$build/examples/csq-timer/csq_timer_demo" --virtual --sleep 1500 > /dev/null
echo "wrote $here/diagram.md"
