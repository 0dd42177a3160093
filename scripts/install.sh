#!/usr/bin/env bash
# Install ist-analyse for use or for development, on Debian 12 (bookworm) with Python >= 3.11.
#
#   bash scripts/install.sh          system packages (graphviz) + .venv with `pip install -e .`
#   bash scripts/install.sh --test   also PostgreSQL server binaries, Chromium, poppler-utils
#                                    and `pip install -e '.[test]'` (what CI runs)
#
# Runs as root (CI) or as a user with sudo. Idempotent: packages already installed (dpkg) are
# not touched, apt-get update runs only when something has to be installed, and the pip step is
# skipped while pyproject.toml, setup.py and the C source are unchanged since the last
# successful run.
# Environment: PYTHON (interpreter for the venv, default python3), VENV (default .venv).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO=$(pwd)

TEST=0
for arg in "$@"; do
    case "$arg" in
        --test) TEST=1 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
LOG=$(mktemp "${TMPDIR:-/tmp}/ist-analyse-install.XXXXXX")
trap 'rm -f "$LOG"' EXIT

step() { printf '==> %s\n' "$*"; }
fail() {
    echo "install.sh: $*" >&2
    if [ -s "$LOG" ]; then
        echo "--- last lines of the log ---" >&2
        tail -n 30 "$LOG" >&2
    fi
    exit 1
}

# --- privileges ---------------------------------------------------------------------------
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        SUDO=(none)
    fi
fi

# --- system packages ----------------------------------------------------------------------
# graphviz: process maps; libpango + DejaVu fonts: WeasyPrint's PDF reports.
packages=(graphviz libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)
if [ "$TEST" -eq 1 ]; then
    # postgresql: server binaries for the throwaway test cluster (tests/pg_server.py);
    # chromium + poppler-utils: opening the HTML reports and looking at the PDF pages.
    packages+=(postgresql chromium poppler-utils)
fi
# gcc + expat.h (+ Python.h): the C fast path of the XES reader (setup.py; optional, the
# pure-Python reader is used where it cannot be built).
packages+=(gcc libexpat1-dev)
if [ ! -f "$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["include"])' \
        2>/dev/null)/Python.h" ]; then
    packages+=(python3-dev)
fi
# A system Python without ensurepip cannot create a venv.
if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    packages+=(python3-venv)
fi

installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for pkg in "${packages[@]}"; do
    installed "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
    step "system packages present: ${packages[*]}"
else
    command -v apt-get >/dev/null 2>&1 \
        || fail "missing system packages (${missing[*]}) and no apt-get: install them by hand"
    [ "${SUDO[0]:-}" = none ] \
        && fail "missing system packages (${missing[*]}): run as root or install sudo"
    step "apt-get install ${missing[*]}"
    apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
    had_postgresql=0
    installed postgresql-common && had_postgresql=1
    # Without package lists there is nothing to install from; stale lists are retried below.
    if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
        "${apt[@]}" update -qq >>"$LOG" 2>&1 || fail "apt-get update failed"
    fi
    if ! "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1; then
        step "apt-get update (package lists were out of date)"
        "${apt[@]}" update -qq >>"$LOG" 2>&1 || fail "apt-get update failed"
        "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1 \
            || fail "apt-get install ${missing[*]} failed"
    fi
    # Debian's postgresql package may create and start a default cluster. The tests start a
    # throwaway server of their own and never use it; stop it if this run brought it.
    if [ "$had_postgresql" -eq 0 ] && command -v pg_lsclusters >/dev/null 2>&1; then
        pg_lsclusters -h 2>/dev/null | while read -r version name _port status _rest; do
            if [ "$status" = online ]; then
                step "stopping Debian's default PostgreSQL cluster $version/$name"
                "${SUDO[@]}" pg_ctlcluster "$version" "$name" stop >>"$LOG" 2>&1 || true
            fi
        done
    fi
fi

# --- Python environment -------------------------------------------------------------------
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
    || fail "$PYTHON is missing or older than 3.11 (set PYTHON=/path/to/python3.11)"

if [ ! -x "$VENV/bin/python" ]; then
    step "creating $VENV with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv "$VENV" >>"$LOG" 2>&1 || fail "could not create $VENV"
fi

target="."
if [ "$TEST" -eq 1 ]; then
    target=".[test]"
fi
stamp="$VENV/.ist-analyse-installed"
# the C extension is built by pip too: its sources are part of the key
key="$(cat pyproject.toml setup.py src/ist_analyse/io/_xesscan.c | sha256sum | cut -d' ' -f1) $REPO"
have=$(cat "$stamp" 2>/dev/null || true)
# A test install (.[test]) also satisfies a plain one.
if { [ "$have" = "$key $target" ] || [ "$have" = "$key .[test]" ]; } \
        && "$VENV/bin/python" -c 'import ist_analyse' >/dev/null 2>&1; then
    step "python packages up to date ($target in $VENV)"
else
    step "pip install -e '$target' into $VENV"
    rm -f "$stamp"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$target" \
        >>"$LOG" 2>&1 || fail "pip install -e '$target' failed"
    echo "$key $target" >"$stamp"
fi

step "done: activate with 'source $VENV/bin/activate', or run $VENV/bin/ist-analyse"
