#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what the GUI tests need (a virtual display and
# Mesa's software GL), then formatting, lints, every test (with a virtual display, so the
# README's `gilscope` and `gilscope screenshot` lines run as well), and a smoke run of the real
# window.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(xvfb xauth x11-utils xdotool libx11-6 libxcursor1 libxi6 libxrandr2 libxkbcommon-x11-0
          libgl1 libglx-mesa0 libgl1-mesa-dri libegl1 libegl-mesa0)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/test.sh: missing packages ${missing[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
  echo "== installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A clean run of the suite writes about 4 GB (debug, loom and fuzz targets: a clean clone held
# 4.0 GB after one); say so up front rather than let a linker die of a full disk half-way.
free_gb=$(df --output=avail -BG . | tail -1 | tr -dc '0-9')
if [ "${free_gb:-0}" -lt 6 ]; then
  echo "scripts/test.sh: warning: only ${free_gb:-0} GB free on $(df --output=target . | tail -1); a clean build of the suite needs about 4 GB" >&2
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (workspace lints, warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test (under xvfb-run, so the README's window lines run too: app/tests/readme.rs)"
# -noreset: by default Xvfb resets itself whenever its last client disconnects, and a client
# that connects during the reset is refused ("Failed to open connection to X server"): a test
# that starts the app just as an `xwininfo` closes failed that way about once in 25 tries.
WINIT_X11_SCALE_FACTOR=1 xvfb-run -a -s "-screen 0 1920x1080x24 -noreset" cargo test --workspace

echo "== the cargo fuzz corpus, replayed on stable (fuzz/ is outside the workspace)"
cargo test --quiet --manifest-path fuzz/Cargo.toml --no-default-features

echo "== loom: the live engine's GIL in every interleaving (2–3 threads)"
RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 \
  cargo test -p gilscope-sim --test live_loom --release --target-dir target/loom

if [ -x scripts/gui-smoke.sh ]; then
  echo "== GUI smoke test under Xvfb"
  scripts/gui-smoke.sh
fi
