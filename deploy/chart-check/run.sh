#!/usr/bin/env bash
# The CI check of charts/partnerline: bash deploy/chart-check/run.sh [--chart DIR]
#
# Creates (once) a venv with requirements.txt under
#   ${XDG_CACHE_HOME:-$HOME/.cache}/partnerline/chart-venv/<hash of requirements.txt + python>
# and runs check.py in it. Needs python3 >= 3.11 with venv, and PyPI (or a mirror pip is set up for).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
req="$here/requirements.txt"
python="${PYTHON:-python3}"

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "chart-check: needs Python 3.11 or newer as '$python' (found: $("$python" --version 2>&1 || echo none)); set PYTHON=/path/to/python3.11" >&2
    exit 2
fi

key="$( { cat "$req"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16)"
base="${XDG_CACHE_HOME:-$HOME/.cache}/partnerline/chart-venv"
venv="$base/$key"
mkdir -p "$base"

install() {
    # Remove venvs of other requirement sets (the Helm library alone is ~85 MB).
    find "$base" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} + 2>/dev/null || true
    rm -rf "$venv"
    echo "chart-check: creating $venv" >&2
    if ! out="$("$python" -m venv "$venv" 2>&1)"; then
        echo "chart-check: could not create a venv with $python: $out" >&2
        echo "  install the venv module (Debian: apt-get install python3-venv) or set PYTHON=" >&2
        exit 2
    fi
    local pip=("$venv/bin/python" -m pip --disable-pip-version-check --no-input install --no-deps -q)
    if ! out="$("${pip[@]}" -r "$req" 2>&1)"; then
        # Say which package failed: install them one by one.
        local line
        while IFS= read -r line; do
            line="${line%%#*}"; line="$(echo "$line" | xargs)"
            [ -z "$line" ] && continue
            if ! out="$("${pip[@]}" "$line" 2>&1)"; then
                echo "chart-check: pip could not install ${line%%=*}: $(echo "$out" | grep -E 'ERROR|error' | tail -3 | tr '\n' ' ')" >&2
                echo "  install it with: $venv/bin/python -m pip install '$line'" >&2
                echo "  (pip needs PyPI or a mirror, e.g. PIP_INDEX_URL; the full pip output follows)" >&2
                echo "$out" | tail -20 | sed 's/^/  | /' >&2
                exit 2
            fi
        done < "$req"
        echo "chart-check: pip could not install $req, though each package installed alone: $out" >&2
        exit 2
    fi
    if ! out="$("$venv/bin/python" -m pip --disable-pip-version-check check 2>&1)"; then
        echo "chart-check: requirements.txt is incomplete or inconsistent (pip check): $out" >&2
        echo "  add the missing pins to $req" >&2
        exit 2
    fi
    touch "$venv/.complete"
}

{
    # One installer at a time when two checks start together.
    command -v flock >/dev/null && flock 9
    [ -f "$venv/.complete" ] || install
} 9>"$base/.lock"

exec "$venv/bin/python" "$here/check.py" "$@"
