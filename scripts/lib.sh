# Shared helpers for scripts/*.sh — source it, don't run it.
# shellcheck shell=bash

# Repository root (the parent of scripts/).
CCX_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian packages the build, tests and plots need.
CCX_DEBIAN_PACKAGES=(cmake g++ gcc clang libclang-rt-14-dev libgtest-dev libcjson-dev
                     libopenblas-dev libyaml-dev pkg-config gnuplot-nox python3 python3-venv)

ccx_log() { printf '%s\n' "$*" >&2; }

ccx_header() {
    printf '\n==================== %s ====================\n' "$*"
}

# Install whichever of CCX_DEBIAN_PACKAGES are missing (apt-get; sudo when not
# root). Does nothing when all are present or when this is not a dpkg system.
ccx_install_deps() {
    if ! command -v dpkg >/dev/null 2>&1; then
        ccx_log "ccx: no dpkg here; not installing packages (need: ${CCX_DEBIAN_PACKAGES[*]})"
        return 0
    fi
    local missing=() p
    for p in "${CCX_DEBIAN_PACKAGES[@]}"; do
        if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
            missing+=("$p")
        fi
    done
    if ((${#missing[@]} == 0)); then
        ccx_log "ccx: all ${#CCX_DEBIAN_PACKAGES[@]} required Debian packages are installed"
        return 0
    fi
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            ccx_log "ccx: missing packages (${missing[*]}) and not root without sudo; install them and re-run"
            return 1
        fi
    fi
    ccx_log "ccx: installing missing packages: ${missing[*]}"
    "${sudo[@]}" apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

ccx_nproc() { nproc 2>/dev/null || echo 2; }

# ccx_venv DIR REQUIREMENTS: a virtual environment at DIR with the pinned
# packages of REQUIREMENTS (pip, from PyPI), created once and reused; it is
# rebuilt when the requirements file changes. Prints DIR/bin/python.
ccx_venv() {
    local dir=$1 req=$2 stamp
    stamp=$(sha256sum "$req" | cut -d' ' -f1)
    if [[ -x $dir/bin/python && -f $dir/.ccx-requirements && $(cat "$dir/.ccx-requirements") == "$stamp" ]]; then
        echo "$dir/bin/python"
        return 0
    fi
    ccx_log "ccx: creating $dir from $req (pip, once)"
    rm -rf -- "$dir"
    python3 -m venv "$dir" >&2 || return 1
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2 || return 1
    echo "$stamp" > "$dir/.ccx-requirements"
    echo "$dir/bin/python"
}
