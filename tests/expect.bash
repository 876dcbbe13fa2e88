# Shared by the end-to-end CLI tests (tests/cli_*.sh), sourced as
#   source "$(dirname "$0")/expect.bash"     # with the script's "$1" = PATH/TO/ccx
# Sets CCX, a temporary directory $tmp (removed on exit), the pass/fail
# counters, and cd's to the repository root.
set -uo pipefail
CCX=${1:?usage: $(basename "$0") PATH/TO/ccx}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# expect STATUS NEEDLE CMD...: run CMD, check exit status and that NEEDLE
# occurs in stdout+stderr
expect() {
    local want=$1 needle=$2; shift 2
    local out status
    out=$("$@" 2>&1); status=$?
    if [[ $status -ne $want ]]; then
        echo "FAIL (exit $status, want $want): $*"; echo "$out" | head -5; fail=$((fail + 1)); return
    fi
    if [[ -n $needle && $out != *"$needle"* ]]; then
        echo "FAIL (no '$needle'): $*"; echo "$out" | head -5; fail=$((fail + 1)); return
    fi
    pass=$((pass + 1))
}

# check DESCRIPTION STATUS: count a condition evaluated by the caller
check() {
    if [[ $2 -eq 0 ]]; then pass=$((pass + 1)); else echo "FAIL: $1"; fail=$((fail + 1)); fi
}
