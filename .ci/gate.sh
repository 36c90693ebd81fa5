#!/usr/bin/env bash
# opsgate as a gate in any CI: what .github/workflows/gate.yml runs, and what you can run by hand.
#
#   .ci/gate.sh install   the gate alone (no reference stack): a Python venv with opsgate, and the programs
#                         some checks run on the gate's machine (Chromium, certutil, PostgreSQL's, gpg, ...)
#   .ci/gate.sh run       the gate against $OPSGATE_TARGET; exits with pytest's code (0 passed, 1 failed,
#                         4 unusable target, 5 no check ran, 6 perf inconclusive)
#   .ci/gate.sh all       install, then run
#
# Environment (every empty OPSGATE_* variable is unset first: an empty CI input or secret means "not set", so a
# target's ${VAR:-default} takes its default):
#   OPSGATE_TARGET        the target file (required by run), relative to the current directory or absolute
#   OPSGATE_MARKERS       pytest marker expression (default: smoke or nginx or db or monitoring)
#   OPSGATE_CONTAINERS    auto (default): add "or containers" when the target has a containers section; yes; no
#   OPSGATE_PERF_PROFILE  load | stress | spike | soak: passed as --perf-profile
#   OPSGATE_GATE_TIMEOUT  the run's budget in seconds (--gate-timeout; default 600)
#   OPSGATE_PYTEST_ARGS   more pytest arguments, split on spaces
#   OPSGATE_VENV          the Python environment (default: <opsgate>/.venv-gate); one where opsgate already
#                         imports is reused as it is (e.g. OPSGATE_VENV=.venv in a `make setup` checkout)
#   OPSGATE_SYSTEM_PACKAGES  auto (default): apt-get the missing client programs when apt-get and root (or
#                         sudo) are there; 0: never
#   OPSGATE_PG_MAJOR      PostgreSQL major of the backup suite's programs (default 15)
#   OPSGATE_REPORTS_DIR   where reports go (made absolute here; default <opsgate>/reports)
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

absolute() { [[ $1 == /* ]] && printf '%s\n' "$1" || printf '%s\n' "$PWD/$1"; }
VENV=$(absolute "${OPSGATE_VENV:-$ROOT/.venv-gate}")
MARKERS=${OPSGATE_MARKERS:-smoke or nginx or db or monitoring}

as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo -n "$@"; fi; }

# Programs the checks run on the gate's machine (host-level checks run on the target's hosts, over ssh://,
# docker:// or kubectl://): Chromium and certutil for the browser check, ssh for ssh:// hosts, and for the
# backup suite PostgreSQL's own programs (the scratch instance: initdb, pg_ctl, pg_restore), gpg (encrypted
# dumps), pgBackRest and promtool (restored Prometheus volumes).
system_packages() {
    local packages=(ca-certificates openssh-client)
    [[ $MARKERS == *smoke* ]] && packages+=(chromium libnss3-tools)
    [[ $MARKERS == *backup* ]] && packages+=("postgresql-${OPSGATE_PG_MAJOR:-15}" gnupg gzip pgbackrest prometheus)
    target_mentions 'docker://' && packages+=(docker.io)  # docker:// host specs run the docker CLI
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

# Whether the target file (when OPSGATE_TARGET names one already) contains this text.
target_mentions() { [[ -n ${OPSGATE_TARGET:-} && -f $OPSGATE_TARGET ]] && grep -Eq "$1" "$OPSGATE_TARGET"; }

install() {
    if [[ -x $VENV/bin/python ]] && "$VENV/bin/python" -c "import opsgate.plugin" 2>/dev/null; then
        say "reusing the Python environment $VENV"
    else
        say "installing opsgate (the gate alone, without the stack extra) into $VENV"
        python3 -m venv "$VENV"
        timeout 900 "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$ROOT"
    fi
    # docker_host: ssh://... goes through paramiko (the Docker SDK's ssh transport)
    if target_mentions 'docker_host:[[:space:]]*["'"'"']?ssh://' && ! "$VENV/bin/python" -c "import paramiko" 2>/dev/null; then
        timeout 300 "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "paramiko>=3"
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

has_containers_section() {
    "$VENV/bin/python" -c 'import sys, yaml
try:
    data = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
except Exception:
    sys.exit(1)  # the gate itself says what is wrong with the file
sys.exit(0 if isinstance(data, dict) and data.get("containers") else 1)' "$1"
}

run() {
    [[ -n ${OPSGATE_TARGET:-} ]] || { say "OPSGATE_TARGET is not set: which target file?"; exit 4; }
    local target markers=$MARKERS
    target=$(absolute "$OPSGATE_TARGET")
    [[ -z ${OPSGATE_REPORTS_DIR:-} ]] || export OPSGATE_REPORTS_DIR=$(absolute "$OPSGATE_REPORTS_DIR")
    case ${OPSGATE_CONTAINERS:-auto} in
        yes) markers="($markers) or containers" ;;
        auto) if has_containers_section "$target"; then markers="($markers) or containers"; fi ;;
        no) ;;
        *) say "OPSGATE_CONTAINERS must be auto, yes or no"; exit 4 ;;
    esac
    load_secrets
    ssh_setup
    local args=(-m "$markers" "--target=$target" "--gate-timeout=${OPSGATE_GATE_TIMEOUT:-600}")
    [[ -z ${OPSGATE_PERF_PROFILE:-} ]] || args+=("--perf-profile=$OPSGATE_PERF_PROFILE")
    # shellcheck disable=SC2206 # split on spaces, as documented
    [[ -z ${OPSGATE_PYTEST_ARGS:-} ]] || args+=($OPSGATE_PYTEST_ARGS)
    say "pytest ${args[*]}"
    cd "$ROOT"  # pytest finds opsgate's pyproject.toml, conftest.py and suites/ here
    local status=0
    "$VENV/bin/python" -m pytest "${args[@]}" || status=$?
    if [[ -n $SSH_AGENT_STARTED ]]; then ssh-agent -k >/dev/null 2>&1 || true; fi
    exit "$status"
}

case ${1:-} in
    install) install ;;
    run) run ;;
    all) install && run ;;
    *) echo "usage: $0 install|run|all (see the comments at its top)" >&2; exit 2 ;;
esac
