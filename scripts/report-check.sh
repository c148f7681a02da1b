#!/usr/bin/env bash
# Opens two reports in headless Chromium (Debian's `chromium`, installed if missing) and
# checks that each renders: the page loads from disk with nothing fetched from elsewhere,
# every chart of the folder is in the rendered DOM, the console logs no error, and a
# screenshot is taken (left in the output folder for a person to look at).
#
# Usage: bash scripts/report-check.sh [OUT_DIR]   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-$(mktemp -d)}"
mkdir -p "$out"

if ! command -v chromium >/dev/null 2>&1; then
    echo "installing Debian's chromium (headless rendering of the reports)"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

faassim() { cargo run --release -q -- "$@"; }

# A run with throttling, provisioned concurrency and several windows of activity, and a
# sweep with closed forms beside its points.
faassim run experiments/flash-sale-pc.json --report "$out/run" -q >/dev/null
faassim sweep experiments/sweep-keepalive.json --out "$out/sweep" -q --threads 2
faassim report "$out/sweep" -o "$out/sweep-report" --experiment experiments/sweep-keepalive.json

status=0
for page in run sweep-report; do
    dir="$out/$page"
    url="file://$(cd "$dir" && pwd)/index.html"
    # No network at all: any fetch would fail and be logged.
    chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --enable-logging=stderr --v=0 --dump-dom "$url" >"$out/$page.dom" 2>"$out/$page.log" || {
        echo "FAIL $page: chromium could not load $url"; status=1; continue; }
    files=$(find "$dir" -maxdepth 1 -name '*.svg' | wc -l)
    shown=$(grep -o '<svg' "$out/$page.dom" | wc -l)
    if [ "$files" -eq 0 ] || [ "$shown" -lt "$files" ]; then
        echo "FAIL $page: $files chart files, $shown charts in the rendered page"; status=1
    fi
    if grep -E 'Uncaught|CONSOLE\(.*\).*[Ee]rror|Failed to load|net::ERR' "$out/$page.log"; then
        echo "FAIL $page: errors while rendering (above)"; status=1
    fi
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --window-size=1280,2600 --screenshot="$out/$page.png" "$url" >/dev/null 2>&1
    size=$(stat -c %s "$out/$page.png" 2>/dev/null || echo 0)
    if [ "$size" -lt 20000 ]; then
        echo "FAIL $page: the screenshot is $size bytes (blank page?)"; status=1
    fi
    echo "ok $page: $shown charts rendered, screenshot $out/$page.png ($size bytes)"
done
exit $status
