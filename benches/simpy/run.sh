#!/usr/bin/env bash
# gilscope against its SimPy peer (benches/simpy/convoy_gil.py) on the same convoy workload
# (benches/simpy/convoy.toml), side by side in one run: prints both whole-process times, the
# ratio and both models' figures. Installs SimPy 4.1.2 into target/simpy-venv if missing; with
# no route to PyPI it says so and skips (exit 0). Arguments go to compare.py (--repeats N).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv="$root/target/simpy-venv"
if ! "$venv/bin/python" -c 'import simpy' 2>/dev/null; then
    if ! python3 -m venv "$venv"; then
        echo "skipped: python3 -m venv could not make $venv"
        exit 0
    fi
    if ! "$venv/bin/pip" install --quiet --disable-pip-version-check 'simpy==4.1.2'; then
        echo "skipped: pip cannot reach PyPI to install simpy 4.1.2 (a local wheel works: PIP_FIND_LINKS=DIR PIP_NO_INDEX=1 $0)"
        exit 0
    fi
fi
cargo build --release --quiet -p gilscope --manifest-path "$root/Cargo.toml"
exec "$venv/bin/python" "$root/benches/simpy/compare.py" --gilscope "$root/target/release/gilscope" "$@"
