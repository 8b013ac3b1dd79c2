#!/usr/bin/env python3
"""Checks a Chrome trace-event file written by irpsim's trace.

Beyond being valid JSON (json.load), the file must hold what Perfetto needs
to draw it as intended:
  - every event has ph, pid, tid; every thread used has a thread_name;
  - "X" slices on one thread nest properly (a slice that starts inside
    another ends inside it), so none is dropped as misnested;
  - every flow event (s/t/f) falls inside a slice on its own thread, which
    it binds to; each flow id starts once ("s") and ends once ("f").

Usage: check_chrome_trace.py FILE [MIN_PROCESSES]
"""
import json
import sys
from collections import defaultdict


def ns(value):
    return int(round(float(value) * 1000))


def fail(message):
    print("check_chrome_trace: " + message)
    sys.exit(1)


def main():
    if len(sys.argv) < 2:
        fail("usage: check_chrome_trace.py FILE [MIN_PROCESSES]")
    with open(sys.argv[1], encoding="utf-8") as stream:
        document = json.load(stream)
    events = document.get("traceEvents")
    if not isinstance(events, list) or not events:
        fail("no traceEvents array")

    named = set()
    used = set()
    slices = defaultdict(list)
    flows = []
    for event in events:
        for key in ("ph", "pid", "tid"):
            if key not in event:
                fail("event without %s: %r" % (key, event))
        where = (event["pid"], event["tid"])
        phase = event["ph"]
        if phase == "M":
            if event.get("name") == "thread_name":
                named.add(where)
            continue
        used.add(where)
        if phase == "X":
            if ns(event["dur"]) < 0:
                fail("negative duration: %r" % event)
            slices[where].append((ns(event["ts"]), ns(event["ts"]) + ns(event["dur"]), event["name"]))
        elif phase in ("s", "t", "f"):
            flows.append(event)
        elif phase not in ("i", "I", "B", "E"):
            fail("unexpected phase %r" % phase)

    for where in used:
        if where not in named:
            fail("thread %r has events but no thread_name" % (where,))

    for where, items in slices.items():
        items.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        stack = []
        for start, end, name in items:
            while stack and start >= stack[-1][1]:
                stack.pop()
            if stack and end > stack[-1][1]:
                fail("slice %r [%d, %d] on %r overlaps %r [%d, %d]"
                     % (name, start, end, where, stack[-1][2], stack[-1][0], stack[-1][1]))
            stack.append((start, end, name))

    starts = defaultdict(int)
    ends = defaultdict(int)
    for flow in flows:
        where = (flow["pid"], flow["tid"])
        at = ns(flow["ts"])
        if not any(start <= at <= end for start, end, _ in slices.get(where, [])):
            fail("flow event outside any slice on its thread: %r" % flow)
        if flow["ph"] == "s":
            starts[flow["id"]] += 1
        elif flow["ph"] == "f":
            ends[flow["id"]] += 1
    for flow_id in set(starts) | set(ends):
        if starts[flow_id] != 1 or ends[flow_id] != 1:
            fail("flow %r starts %d times and ends %d times" % (flow_id, starts[flow_id], ends[flow_id]))

    processes = {event["pid"] for event in events}
    if len(sys.argv) > 2 and len(processes) < int(sys.argv[2]):
        fail("%d processes (sessions), expected at least %s" % (len(processes), sys.argv[2]))

    print("check_chrome_trace: %s: %d events, %d slices, %d flow events, %d threads: OK"
          % (sys.argv[1], len(events), sum(len(v) for v in slices.values()), len(flows), len(named)))


if __name__ == "__main__":
    main()
