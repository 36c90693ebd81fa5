#!/usr/bin/env bash
# opsgate as a gate in any CI: what .github/workflows/gate.yml runs, and what you can run by hand. It installs the
# opsgate package, pinned, and runs the `opsgate` command in the current directory: your repository, where the
# target file and its runbook live (reports go to ./reports).
#
#   .ci/gate.sh install   the gate alone (no reference stack): a Python venv with the opsgate package and the extras
#                         the run needs, and the programs some checks run on the gate's machine (Chromium,
#                         certutil, PostgreSQL's, gpg, ...)
#   .ci/gate.sh run       `opsgate` against $OPSGATE_TARGET, in the current directory; exits with its code (0 passed,
#                         1 failed, 4 unusable target or missing extra, 5 no check ran, 6 inconclusive)
#   .ci/gate.sh all       install, then run
#
# Environment (every empty OPSGATE_* variable is unset first: an empty CI input or secret means "not set", so a
# target's ${VAR:-default} takes its default):
#   OPSGATE_TARGET        the target file (required by run; install reads its sections), relative to the current
#                         directory or absolute
#   OPSGATE_MARKERS       a pytest marker expression (-m); default: none, the target decides (see OPSGATE_JOB)
#   OPSGATE_JOB           gate (default) | dr | load: without markers, opsgate runs this job's suites for the
#                         components the target configures (--job; passed only when set)
#   OPSGATE_PERF_PROFILE  load | stress | spike | soak: passed as --perf-profile
#   OPSGATE_GATE_TIMEOUT  the run's budget in seconds (--gate-timeout; default 600)
#   OPSGATE_PYTEST_ARGS   more opsgate (pytest) arguments, split on spaces
#   OPSGATE_PACKAGE       what install installs, pinned: a pip requirement (`opsgate @ git+https://github.com/
#                         your-org/opsgate@v1.0.0`, `opsgate==1.0.0`), a URL, a wheel or an opsgate checkout;
#                         default: the opsgate checkout this script sits in
#   OPSGATE_EXTRAS        the package's extras to install, comma-separated (containers, kubernetes, dr, load,
#                         trends, all); default: what `opsgate extras` says the run's suites need for the components
#                         the target configures (with OPSGATE_MARKERS, else OPSGATE_JOB's suites; all without a
#                         target file yet), plus trends when OPSGATE_KEEP_HISTORY is set
#   OPSGATE_KEEP_HISTORY  set (any value): the reports' history is kept across runs, so install adds the trends
#                         extra (the plots of reports/index.html)
#   OPSGATE_VENV          the Python environment (default: <this checkout>/.venv-gate); one where opsgate already
#                         imports is reused (e.g. OPSGATE_VENV=.venv in a `make setup` checkout): OPSGATE_PACKAGE is
#                         then not installed, only what the extras need and the environment lacks
#   OPSGATE_SYSTEM_PACKAGES  auto (default): apt-get the missing client programs when apt-get and root (or
#                         sudo) are there; 0: never
#   OPSGATE_PG_MAJOR      PostgreSQL major of the backup suite's programs (default 15)
#   OPSGATE_REPORTS_DIR   where reports go (default ./reports; relative to the current directory)
#   OPSGATE_SECRETS       a JSON object {"NAME": "value", ...}: each entry is exported for the target's ${NAME},
#                         never printed (in GitHub Actions each value is also masked in the log first)
#   OPSGATE_SSH_KEY       a private key for ssh:// hosts (e.g. inside OPSGATE_SECRETS): loaded into an ssh-agent
#   OPSGATE_SSH_KNOWN_HOSTS  known_hosts lines for ssh:// hosts (added to ~/.ssh/known_hosts in CI only)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { echo "opsgate: $*" >&2; }

# Every empty OPSGATE_* variable is unset: GitHub Actions cannot leave a variable unset, only empty.
for name in $(compgen -e); do
    if [[ $name == OPSGATE_* && -z ${!name} ]]; then unset "$name"; fi
done
if [[ -n ${OPSGATE_CONTAINERS:-} ]]; then
    say "OPSGATE_CONTAINERS is ignored: the containers checks run when the target has a containers section"
fi

absolute() { [[ $1 == /* ]] && printf '%s\n' "$1" || printf '%s\n' "$PWD/$1"; }
VENV=$(absolute "${OPSGATE_VENV:-$ROOT/.venv-gate}")

as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo -n "$@"; fi; }

# Whether the target file (when OPSGATE_TARGET names one already) contains this text.
target_mentions() { [[ -n ${OPSGATE_TARGET:-} && -f $OPSGATE_TARGET ]] && grep -Eq "$1" "$OPSGATE_TARGET"; }

# Whether the run checks SECTION with the suite MARKER of JOB, as far as a shell can tell what opsgate will select:
# the target file has the top-level section (any section may, while there is no target file yet), and
# OPSGATE_MARKERS name the suite, or without markers it is one of OPSGATE_JOB's (default gate).
checks() {
    local section=$1 marker=$2 job=$3
    if [[ -n ${OPSGATE_TARGET:-} && -f $OPSGATE_TARGET ]]; then
        grep -Eq "^${section}[[:space:]]*:" "$OPSGATE_TARGET" || return 1
    fi
    if [[ -n ${OPSGATE_MARKERS:-} ]]; then
        [[ $OPSGATE_MARKERS =~ (^|[^[:alnum:]_])${marker}($|[^[:alnum:]_]) ]]
    else
        [[ ${OPSGATE_JOB:-gate} == "$job" ]]
    fi
}

# The package's extras this run needs, comma-separated: OPSGATE_EXTRAS, else what the installed opsgate says the
# selected suites need for the components the target configures (`opsgate extras`, from the components'
# declarations), plus trends when the history is kept.
extras() {
    if [[ -n ${OPSGATE_EXTRAS:-} ]]; then
        local given=${OPSGATE_EXTRAS//[[:space:]]/}
        if [[ ! $given =~ ^[a-z][a-z0-9-]*(,[a-z][a-z0-9-]*)*$ ]]; then
            say "OPSGATE_EXTRAS must be extra names, comma-separated (e.g. containers,dr)"
            exit 4
        fi
        printf '%s\n' "$given"
        return
    fi
    local found="" args=(--job="${OPSGATE_JOB:-gate}")
    [[ -z ${OPSGATE_MARKERS:-} ]] || args+=(-m "$OPSGATE_MARKERS")
    if [[ -n ${OPSGATE_TARGET:-} && -f $OPSGATE_TARGET ]]; then
        found=$("$VENV/bin/opsgate" extras --target="$OPSGATE_TARGET" "${args[@]}") || exit 4
    else
        found=all  # no target file yet: whatever it will configure
    fi
    if [[ -n ${OPSGATE_KEEP_HISTORY:-} ]]; then found+=${found:+,}trends; fi
    printf '%s\n' "$found"
}

# OPSGATE_PACKAGE (default: this checkout) as one pip requirement with these extras: `opsgate[extras] @ URL` for a
# URL, a wheel or a folder, `opsgate[extras]==1.0.0` for a release on a package index.
requirement() {
    local spec=${OPSGATE_PACKAGE:-$ROOT} extras=$1
    if [[ $spec =~ ^opsgate[[:space:]]*\[([^]]*)\](.*)$ ]]; then  # extras of its own: kept
        extras=${BASH_REMATCH[1]//[[:space:]]/}${extras:+,$extras}
        spec="opsgate${BASH_REMATCH[2]}"
    fi
    local brackets=${extras:+[$extras]}
    if [[ $spec =~ ^opsgate[[:space:]]*@[[:space:]]*(.+)$ ]]; then
        printf 'opsgate%s @ %s\n' "$brackets" "${BASH_REMATCH[1]}"
    elif [[ $spec == *://* ]]; then
        printf 'opsgate%s @ %s\n' "$brackets" "$spec"
    elif [[ -e $spec ]]; then  # a wheel or a checkout: as a file:// URL (percent-encoded)
        printf 'opsgate%s @ %s\n' "$brackets" \
            "$(python3 -c 'import pathlib, sys; print(pathlib.Path(sys.argv[1]).resolve().as_uri())' "$spec")"
    elif [[ $spec =~ ^opsgate([^[:alnum:]_.-].*)?$ ]]; then
        printf 'opsgate%s%s\n' "$brackets" "${BASH_REMATCH[1]}"
    else
        say "OPSGATE_PACKAGE is neither a requirement of opsgate, a URL, nor an existing wheel or folder: $spec"
        exit 4
    fi
}

# What these extras need (from the installed opsgate's metadata) and the environment lacks, one requirement a line.
missing_requirements() {
    "$VENV/bin/python" - "$1" <<'PY'
import importlib.metadata as metadata
import sys

from packaging.requirements import Requirement

provided = set(metadata.metadata("opsgate").get_all("Provides-Extra") or [])
wanted, seen = [extra for extra in sys.argv[1].split(",") if extra], set()
for extra in wanted:
    if extra not in provided:
        sys.exit(f"opsgate: the installed opsgate has no extra {extra!r} (it has: {', '.join(sorted(provided))})")
while wanted:
    extra = wanted.pop()
    if extra in seen:
        continue
    seen.add(extra)
    for line in metadata.requires("opsgate") or []:
        req = Requirement(line)
        if req.marker is None or "extra" not in str(req.marker) or not req.marker.evaluate({"extra": extra}):
            continue
        if req.name == "opsgate":  # all = opsgate[containers,kubernetes,...]
            wanted.extend(req.extras)
            continue
        try:
            installed = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed is None or not req.specifier.contains(installed, prereleases=True):
            print(f"{req.name}{req.specifier}")
PY
}

pip_install() { timeout 900 "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$@"; }

# Programs the checks run on the gate's machine (host-level checks run on the target's hosts, over ssh://,
# docker:// or kubectl://): Chromium and certutil for the browser check (frontend), ssh for ssh:// hosts, and for
# the backup suite PostgreSQL's own programs (the scratch instance: initdb, pg_ctl, pg_restore), gpg (encrypted
# dumps), pgBackRest and promtool (restored Prometheus volumes).
system_packages() {
    local packages=(ca-certificates openssh-client)
    if checks frontend smoke gate; then packages+=(chromium libnss3-tools); fi
    if checks backup backup dr; then
        packages+=("postgresql-${OPSGATE_PG_MAJOR:-15}" gnupg gzip pgbackrest prometheus)
    fi
    if target_mentions 'docker://'; then packages+=(docker.io); fi  # docker:// host specs run the docker CLI
    local missing=()
    for package in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
    done
    if ((${#missing[@]} == 0)); then return; fi
    if [[ ${OPSGATE_SYSTEM_PACKAGES:-auto} == 0 ]] || ! command -v apt-get >/dev/null \
        || ! { [[ $(id -u) == 0 ]] || sudo -n true 2>/dev/null; }; then
        say "not installing ${missing[*]} (no apt-get, no root, or OPSGATE_SYSTEM_PACKAGES=0): checks needing them fail"
        return
    fi
    say "installing ${missing[*]}"
    # Installed for their programs only: no cluster is created and no service started.
    if [[ ! -e /etc/postgresql-common/createcluster.conf ]]; then
        as_root mkdir -p /etc/postgresql-common
        echo "create_main_cluster = false" | as_root tee /etc/postgresql-common/createcluster.conf >/dev/null
    fi
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
        as_root chmod +x /usr/sbin/policy-rc.d
        trap 'as_root rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    as_root timeout 300 apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q --no-install-recommends "${missing[@]}"
}

install() {
    if [[ -x $VENV/bin/opsgate ]] && "$VENV/bin/python" -c "import opsgate.plugin" 2>/dev/null; then
        say "reusing the Python environment $VENV ($("$VENV/bin/opsgate" --version))"
    else
        local package
        package=$(requirement "")
        say "installing $package (the gate alone, without the stack extra) into $VENV"
        python3 -m venv "$VENV"
        pip_install "$package"
    fi
    local extras missing
    extras=$(extras)
    say "extras: ${extras:-none} (what the selected suites need for the components the target configures)"
    missing=$(missing_requirements "$extras") || exit 4
    if [[ -n $missing ]]; then
        say "adding what the extras ${extras} need: ${missing//$'\n'/ }"
        mapfile -t missing_list <<<"$missing"
        pip_install "${missing_list[@]}"
    fi
    # docker_host: ssh://... goes through paramiko (the Docker SDK's ssh transport)
    if target_mentions 'docker_host:[[:space:]]*["'"'"']?ssh://' && ! "$VENV/bin/python" -c "import paramiko" 2>/dev/null; then
        pip_install "paramiko>=3"
    fi
    system_packages
}

# OPSGATE_SECRETS' entries into the environment, without printing them: NAME=value pairs, NUL-separated.
load_secrets() {
    [[ -n ${OPSGATE_SECRETS:-} ]] || return 0
    local pair
    while IFS= read -r -d '' pair; do
        export "${pair?}"
    done < <("$VENV/bin/python" - <<'EOF'
import json, os, re, sys
try:
    entries = json.loads(os.environ.pop("OPSGATE_SECRETS"))
    assert isinstance(entries, dict)
except (ValueError, AssertionError):
    sys.exit("opsgate: OPSGATE_SECRETS is not a JSON object of names and values")  # never the value itself
for name, value in entries.items():
    if not re.fullmatch(r"[A-Z][A-Z0-9_]*", name) or name in ("PATH", "HOME") or name.startswith(("LD_", "PYTHON")):
        sys.exit(f"opsgate: OPSGATE_SECRETS: {name!r} is not an allowed variable name")
    if not isinstance(value, str):
        sys.exit(f"opsgate: OPSGATE_SECRETS: {name} is not a string")
    if os.environ.get("GITHUB_ACTIONS") == "true":  # a JSON secret is masked whole, not value by value
        for line in value.splitlines():
            if line.strip():
                print(f"::add-mask::{line}", file=sys.stderr, flush=True)
    sys.stdout.write(f"{name}={value}\0")
EOF
    )
    wait $! || exit 4  # the reader's verdict (a process substitution's status is not checked otherwise)
    unset OPSGATE_SECRETS
}

SSH_AGENT_STARTED=
ssh_setup() {
    if [[ -n ${OPSGATE_SSH_KNOWN_HOSTS:-} && ${CI:-} == true ]]; then
        mkdir -p ~/.ssh && chmod 700 ~/.ssh
        printf '%s\n' "$OPSGATE_SSH_KNOWN_HOSTS" >>~/.ssh/known_hosts
    fi
    if [[ -n ${OPSGATE_SSH_KEY:-} ]]; then
        eval "$(ssh-agent -s)" >/dev/null
        SSH_AGENT_STARTED=1
        printf '%s\n' "$OPSGATE_SSH_KEY" | ssh-add -q - 2>/dev/null || { say "OPSGATE_SSH_KEY is not a private key"; exit 4; }
    fi
    unset OPSGATE_SSH_KEY
}

run() {
    [[ -n ${OPSGATE_TARGET:-} ]] || { say "OPSGATE_TARGET is not set: which target file?"; exit 4; }
    [[ -x $VENV/bin/opsgate ]] || { say "no opsgate command in $VENV: run '$0 install' first"; exit 4; }
    load_secrets
    ssh_setup
    # Without -m, opsgate chooses itself: the suites of its job (default gate) for what the target configures.
    local args=("--target=$(absolute "$OPSGATE_TARGET")" "--gate-timeout=${OPSGATE_GATE_TIMEOUT:-600}")
    [[ -z ${OPSGATE_JOB:-} ]] || args+=("--job=$OPSGATE_JOB")
    [[ -z ${OPSGATE_MARKERS:-} ]] || args+=(-m "$OPSGATE_MARKERS")
    [[ -z ${OPSGATE_PERF_PROFILE:-} ]] || args+=("--perf-profile=$OPSGATE_PERF_PROFILE")
    # shellcheck disable=SC2206 # split on spaces, as documented
    [[ -z ${OPSGATE_PYTEST_ARGS:-} ]] || args+=($OPSGATE_PYTEST_ARGS)
    local shown=() arg
    for arg in "${args[@]}"; do
        if [[ $arg == *[[:space:]]* ]]; then shown+=("\"$arg\""); else shown+=("$arg"); fi
    done
    say "opsgate ${shown[*]}   (in $PWD)"
    local status=0
    "$VENV/bin/opsgate" "${args[@]}" || status=$?  # in the caller's directory: its rootdir, its ./reports
    if [[ -n $SSH_AGENT_STARTED ]]; then ssh-agent -k >/dev/null 2>&1 || true; fi
    exit "$status"
}

case ${1:-} in
    install) install ;;
    run) run ;;
    all) install && run ;;
    *) echo "usage: $0 install|run|all (see the comments at its top)" >&2; exit 2 ;;
esac
