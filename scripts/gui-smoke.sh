#!/usr/bin/env bash
# Smoke test of the real window under a virtual display: the app opens, shows its title, and
# renders a finished run to a PNG. Uses the debug binary that `cargo test` has just built.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/debug/gilscope}
OUT=${OUT:-target/gui-smoke}
mkdir -p "$OUT"
[ -x "$BIN" ] || cargo build -p gilscope --quiet

export WINIT_X11_SCALE_FACTOR=1
DISPLAY_NUMBER=${DISPLAY_NUMBER:-97}
export DISPLAY=":$DISPLAY_NUMBER"
# -noreset: without it the server resets as the probe below disconnects, and the app connecting
# at that moment is refused.
Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp -noreset >/dev/null 2>&1 &
XVFB=$!
APP=""
cleanup() { [ -n "$APP" ] && kill "$APP" 2>/dev/null; kill "$XVFB" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
xdpyinfo >/dev/null 2>&1 || { echo "gui-smoke: Xvfb did not start" >&2; exit 1; }

# 1. The window opens with its title.
"$BIN" >"$OUT/app.log" 2>&1 &
APP=$!
if ! timeout 60 xdotool search --sync --name "^gilscope" >/dev/null; then
  echo "gui-smoke: no window titled gilscope appeared; app log:" >&2
  cat "$OUT/app.log" >&2
  exit 1
fi
kill "$APP"; wait "$APP" 2>/dev/null || true; APP=""

# 2. A finished run renders to a PNG of the requested size.
timeout 120 "$BIN" screenshot convoy --out "$OUT/convoy.png" --size 1024x640
size=$(python3 -c "import struct,sys; d=open(sys.argv[1],'rb').read(24); print(*struct.unpack('>II', d[16:24]))" "$OUT/convoy.png")
[ "$size" = "1024 640" ] || { echo "gui-smoke: screenshot is $size, expected 1024 640" >&2; exit 1; }
echo "gui-smoke: window opened; $OUT/convoy.png is 1024x640"
