"""Which process serves a port, and which files an nginx config is made of: the parsers on canned output, then
real processes started here (two nginx masters, a uvicorn app and an `http.server` decoy) on free ports, seen
through `host_for("local://")` as the checks see them. Needs nginx and root; not the reference stack."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from testinfra.backend.base import CommandResult
from testinfra.host import Host

import suites.nginx.test_config as config_check
import suites.smoke.test_app_host as app_host_check
from opsgate.core.verdict import CheckFailed
from opsgate.probes import hosts
from opsgate.probes.hosts import (
    HostCommandFailed,
    check_output,
    host_for,
    parse_cmdline,
    parse_ss_listeners,
    parse_stat_ppid,
    port_owners,
)
from opsgate.probes.nginx import (
    Change,
    NoMaster,
    changes_not_loaded,
    config_dump,
    describe_changes,
    parse_config_dump,
    running_master,
)

WAIT_S = 10.0
STACK_PORTS = range(15432, 19194)

# --- parsers, on canned output --------------------------------------------------------------------------------

SS = """\
LISTEN 0      2048       127.0.0.1:18000      0.0.0.0:*    users:(("python",pid=13997,fd=3),("python",pid=13996,fd=3),("python",pid=13994,fd=3))
LISTEN 0      511             [::]:443           [::]:*    users:(("nginx",pid=9642,fd=7),("nginx",pid=9640,fd=7),("nginx",pid=9640,fd=9))
LISTEN 0      4096               *:9100             *:*
LISTEN 0      128     127.0.0.1%lo:53         0.0.0.0:*    users:(("odd (name) x",pid=5,fd=3))
"""  # noqa: E501 - ss prints it so


def test_ss_listeners_keep_every_holder_of_a_socket_once_in_order() -> None:
    assert [(listener.address, listener.pids) for listener in parse_ss_listeners(SS)] == [
        ("127.0.0.1:18000", (13997, 13996, 13994)),
        ("[::]:443", (9642, 9640)),
        ("*:9100", ()),  # the owner is another user's process and we are not root
        ("127.0.0.1%lo:53", (5,)),
    ]


def test_ss_header_and_blank_lines_are_skipped() -> None:
    header = "State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess\n\n"
    assert parse_ss_listeners(header) == []


@pytest.mark.parametrize(
    ("raw", "args"),
    [
        ("/usr/bin/python3\0-m\0http.server\x0018000\0", ("/usr/bin/python3", "-m", "http.server", "18000")),
        ("python\0-c\0print('a b')\0\0--flag\0", ("python", "-c", "print('a b')", "", "--flag")),  # spaces, ""
        ("nginx: worker process" + "\0" * 40, ("nginx: worker process",)),  # retitled, padded with NULs
        ("", ()),  # kernel thread, zombie
    ],
)
def test_cmdline_is_split_on_nul(raw: str, args: tuple[str, ...]) -> None:
    assert parse_cmdline(raw) == args


def test_stat_ppid_survives_a_comm_with_spaces_and_parentheses() -> None:
    assert parse_stat_ppid("4242 (my (odd) proc) S 17 4242 4242 0 -1 4194560 98 0 0 0\n") == 17


NGINX_T = """\
# configuration file /etc/nginx/nginx.conf:
user www-data;
pid /run/nginx.pid;
http {
    include /etc/nginx/mime.types;
    include /etc/nginx/conf.d/*.conf;
    include /etc/nginx/sites-enabled/*;
}

# configuration file /etc/nginx/mime.types:
types { text/html html; }

# configuration file /etc/nginx/conf.d/gzip.conf:
gzip on;  # see # configuration file notes

# configuration file /etc/nginx/sites-enabled/app:
server { include /etc/nginx/snippets/tls.conf; }

# configuration file /etc/nginx/snippets/tls.conf:
ssl_protocols TLSv1.2 TLSv1.3;

# configuration file /etc/nginx/snippets/tls.conf:
ssl_protocols TLSv1.2 TLSv1.3;
"""


def test_nginx_t_lists_every_file_once_and_the_pid_file() -> None:
    dump = parse_config_dump(NGINX_T)
    assert dump.files == (
        "/etc/nginx/nginx.conf",
        "/etc/nginx/mime.types",
        "/etc/nginx/conf.d/gzip.conf",
        "/etc/nginx/sites-enabled/app",
        "/etc/nginx/snippets/tls.conf",
    )
    assert dump.pid_file == "/run/nginx.pid"


def test_a_relative_or_missing_pid_directive_names_no_pid_file() -> None:
    assert parse_config_dump("# configuration file /a.conf:\n  pid  logs/nginx.pid ;\n").pid_file is None
    assert parse_config_dump("# configuration file /a.conf:\nworker_processes 1;\n").pid_file is None


def test_changes_are_described_newest_first_and_capped() -> None:
    changes = [Change(f"/etc/nginx/conf.d/{n}.conf", n) for n in range(5)]
    assert describe_changes(changes) == (
        "/etc/nginx/conf.d/0.conf (changed 0 s ago), /etc/nginx/conf.d/1.conf (changed 1 s ago), "
        "/etc/nginx/conf.d/2.conf (changed 2 s ago) and 2 more"
    )


def test_a_host_command_has_a_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hosts, "COMMAND_TIMEOUT_S", 1)
    began = time.monotonic()
    with pytest.raises(HostCommandFailed, match=r"`timeout 1 sleep 5` on .*: timed out after 1 s"):
        check_output(host_for("local://"), "sleep %s", "5")
    assert time.monotonic() - began < 4


# --- real processes ---------------------------------------------------------------------------------------------


def free_port() -> int:
    """A port nothing listens on, chosen by the kernel, above 20000 and away from the reference stack's."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port >= 20000 and port not in STACK_PORTS:
            return port


def wait_until(what: str, ready: Callable[[], Any], timeout_s: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (result := ready()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout_s:g} s")
        time.sleep(0.05)
    return result


def accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def children(pid: int) -> set[int]:
    kids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if parse_stat_ppid(stat.read_text()) == pid:
                kids.add(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
    return kids


def start(argv: list[str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start a server in its own session (so a kill reaches its workers) and wait until it accepts on `port`."""
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(f"{argv[0]} listening on {port} (log: {log})", lambda: proc.poll() is not None or accepts(port))
    except TimeoutError:
        stop(proc, signal.SIGTERM)
        raise
    if proc.poll() is not None:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {log.read_text()}")
    return proc


def stop(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: the workers go too
            proc.wait(timeout=WAIT_S)


@pytest.fixture
def workdir() -> Iterator[Path]:
    """World-readable (pytest's tmp_path is not), so the checks can also run as `nobody` against it."""
    path = Path(tempfile.mkdtemp(prefix="opsgate-proc-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@dataclass
class NginxInstance:
    proc: subprocess.Popen[bytes]
    port: int
    config: Path
    site: Path  # the conf.d file holding the server block: an included file

    @property
    def master(self) -> int:
        return self.proc.pid  # `daemon off;`: the process started is the master

    def workers(self) -> set[int]:
        return children(self.master)

    def reload(self) -> None:
        """SIGHUP, then wait until only new workers remain: nginx reloads asynchronously."""
        old = self.workers()
        os.kill(self.master, signal.SIGHUP)
        wait_until("nginx reloaded", lambda: (current := self.workers()) and not current & old)


def start_nginx(root: Path, name: str) -> NginxInstance:
    home, port = root / name, free_port()
    (home / "conf.d").mkdir(parents=True)
    (home / "tmp").mkdir()  # nginx makes only the last directory of a temp path
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp_paths = "\n".join(f"    {kind}_temp_path {home}/tmp/{kind};" for kind in kinds)  # not /var/lib/nginx
    config = home / "nginx.conf"
    config.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")  # as root, workers default to group `nobody`: none on Debian
        + f"worker_processes 1;\ndaemon off;\npid {home}/nginx.pid;\nerror_log {home}/error.log;\n"
        + "events { worker_connections 64; }\n"
        + f"http {{\n    access_log off;\n{temp_paths}\n    include {home}/conf.d/*.conf;\n}}\n"
    )
    site = home / "conf.d" / "site.conf"
    site.write_text(f'server {{ listen 127.0.0.1:{port}; return 200 "{name}\\n"; }}\n')
    argv = ["nginx", "-p", str(home), "-e", str(home / "error.log"), "-c", str(config)]
    instance = NginxInstance(start(argv, port, home / "stdout.log"), port, config, site)
    wait_until(f"{name}'s workers", instance.workers)
    return instance


@pytest.fixture
def two_nginx(workdir: Path) -> Iterator[tuple[NginxInstance, NginxInstance]]:
    """The nginx under test and a decoy master on another port, both this user's, both on this host."""
    if shutil.which("nginx") is None:
        pytest.fail("nginx is not installed: apt-get install nginx-light (or nginx)")
    started: list[NginxInstance] = []
    try:
        started.append(start_nginx(workdir, "served"))
        started.append(start_nginx(workdir, "decoy"))
        yield started[0], started[1]
    finally:
        for instance in started:
            stop(instance.proc, signal.SIGQUIT)


@pytest.fixture
def app_and_decoy(workdir: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, subprocess.Popen[bytes], int]]:
    """A uvicorn app on one port, and `python -m http.server` on another: a port held by the wrong process."""
    (workdir / "asgi_app.py").write_text(
        textwrap.dedent("""\
        async def app(scope, receive, send):
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
        """)
    )
    app_port, decoy_port = free_port(), free_port()
    uvicorn = [sys.executable, "-m", "uvicorn", "asgi_app:app", "--app-dir", str(workdir), "--lifespan", "off"]
    decoy = [sys.executable, "-m", "http.server", str(decoy_port), "--bind", "127.0.0.1", "--directory", str(workdir)]
    started: list[subprocess.Popen[bytes]] = []
    try:
        started.append(start([*uvicorn, "--host", "127.0.0.1", "--port", str(app_port)], app_port, workdir / "app.log"))
        started.append(start(decoy, decoy_port, workdir / "decoy.log"))
        yield started[0], app_port, started[1], decoy_port
    finally:
        for proc in started:
            stop(proc, signal.SIGTERM)


class AsNobody:
    """The local host as an unprivileged user sees it (`runuser -u nobody`): ss hides other users' pids."""

    def __init__(self, host: Host) -> None:
        self._host, self.backend = host, host.backend

    def run(self, command: str, *args: str) -> CommandResult:
        return self._host.run("runuser -u nobody -- sh -c %s", self.backend.quote(command, *args))


def as_nobody() -> Host:
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("seeing the host as `nobody` needs root and runuser")
    return AsNobody(host_for("local://"))  # type: ignore[return-value]  # duck-typed: only run() and backend


def check_target(**fields: Any) -> Any:
    """The slice of a target section the host checks read."""
    return SimpleNamespace(host="local://", **fields)


def test_app_is_identified_by_the_process_holding_its_port(app_and_decoy: tuple[Any, int, Any, int]) -> None:
    app, app_port, decoy, decoy_port = app_and_decoy
    local = host_for("local://")
    served = port_owners(local, app_port)
    assert [owner.pid for owner in served.matching("uvicorn")] == [app.pid]
    taken = port_owners(local, decoy_port)
    assert taken.listening
    assert [owner.pid for owner in taken.owners] == [decoy.pid]
    assert taken.matching("uvicorn") == []  # though a uvicorn runs on this host
    assert not port_owners(local, free_port()).listening


def test_app_check_names_what_holds_the_port(app_and_decoy: tuple[Any, int, Any, int]) -> None:
    _, app_port, decoy, decoy_port = app_and_decoy
    local, check = host_for("local://"), app_host_check.test_app_process_is_running
    check(local, check_target(process="uvicorn"), app_port)
    expected = (
        f"port {decoy_port} is held by pid {decoy.pid} (`{sys.executable} -m http.server {decoy_port} --bind "
        f"127.0.0.1 --directory {decoy.args[-1]}`), not a process matching 'uvicorn'"
    )
    with pytest.raises(AssertionError) as failed:
        check(local, check_target(process="uvicorn"), decoy_port)
    assert str(failed.value).startswith(expected)
    nothing = free_port()
    with pytest.raises(AssertionError, match=f"nothing listens on TCP port {nothing} on local://"):
        check(local, check_target(process="uvicorn"), nothing)


def test_app_check_without_visible_owners_does_not_pass(app_and_decoy: tuple[Any, int, Any, int]) -> None:
    _, _, _, decoy_port = app_and_decoy
    nobody, check = as_nobody(), app_host_check.test_app_process_is_running
    assert port_owners(nobody, decoy_port) == hosts.PortOwners(decoy_port, True, ())
    with pytest.raises(pytest.skip.Exception, match=f"port {decoy_port} listens on local://, but its owner is not"):
        check(nobody, check_target(process="uvicorn"), decoy_port)  # no pass by name: cannot tell, so not a pass
    with pytest.raises(AssertionError, match="nothing listens"):
        check(nobody, check_target(process="uvicorn"), free_port())


def test_the_master_serving_the_port_is_found_not_the_decoy(two_nginx: tuple[NginxInstance, NginxInstance]) -> None:
    served, decoy = two_nginx
    local = host_for("local://")
    master = running_master(local, served.port, str(served.config))
    assert (master.pid, master.found_by) == (served.master, f"serving port {served.port}")
    assert running_master(local, decoy.port, str(decoy.config)).pid == decoy.master
    nothing = free_port()
    with pytest.raises(NoMaster, match=f"nothing listens on TCP port {nothing}"):
        running_master(local, nothing, str(served.config))


def test_a_port_held_by_something_else_is_no_master(
    two_nginx: tuple[NginxInstance, NginxInstance], app_and_decoy: tuple[Any, int, Any, int]
) -> None:
    served, _ = two_nginx
    _, _, decoy, decoy_port = app_and_decoy
    with pytest.raises(NoMaster, match=rf"port {decoy_port} is held by pid {decoy.pid} \(`.*http.server.*`\), not by"):
        running_master(host_for("local://"), decoy_port, str(served.config))
    check = check_target(https_url=f"https://127.0.0.1:{decoy_port}", config_path=str(served.config))
    with pytest.raises(CheckFailed, match=f"no nginx master serves {check.https_url} on local://") as failed:
        config_check.test_running_master_loaded_the_config_on_disk(host_for("local://"), check, decoy_port)
    assert failed.value.runbook == "nginx/down"


def test_an_included_file_changed_after_the_load_is_drift_until_a_reload(
    two_nginx: tuple[NginxInstance, NginxInstance],
) -> None:
    served, _ = two_nginx
    local, config = host_for("local://"), str(served.config)
    assert config_dump(local, config).files == (config, str(served.site))
    assert changes_not_loaded(local, (config, str(served.site)), running_master(local, served.port, config)) == []
    # etimes counts whole seconds and the check allows RELOAD_CLOCK_SLACK_S: edit clearly after the load
    wait_until("workers 3 s old", lambda: running_master(local, served.port, config).workers_age_s >= 3)
    served.site.touch()

    master = running_master(local, served.port, config)
    changes = changes_not_loaded(local, config_dump(local, config).files, master)
    assert [change.path for change in changes] == [str(served.site)]  # the included file alone
    check = check_target(https_url=f"https://127.0.0.1:{served.port}", config_path=config)
    drift = (
        rf"^{re.escape(str(served.site))} \(changed \d+ s ago\): changed after the running master \(pid {served.master}"
    )
    with pytest.raises(AssertionError, match=rf"{drift}, serving port {served.port}\) last loaded its config"):
        config_check.test_running_master_loaded_the_config_on_disk(local, check, served.port)

    served.reload()
    master = running_master(local, served.port, config)
    assert master.pid == served.master
    assert changes_not_loaded(local, config_dump(local, config).files, master) == []
    config_check.test_running_master_loaded_the_config_on_disk(local, check, served.port)


def test_a_broken_config_falls_back_to_the_main_file(two_nginx: tuple[NginxInstance, NginxInstance]) -> None:
    served, _ = two_nginx
    served.site.write_text("server { listen 127.0.0.1:1; retur 200; }\n")
    dump = config_dump(host_for("local://"), str(served.config))
    assert dump.files == (str(served.config),)
    assert dump.error is not None and 'unknown directive "retur"' in dump.error
    assert dump.pid_file == str(served.config.parent / "nginx.pid")


def test_without_visible_owners_the_master_comes_from_its_pid_file(
    two_nginx: tuple[NginxInstance, NginxInstance],
) -> None:
    served, _ = two_nginx
    nobody = as_nobody()
    assert port_owners(nobody, served.port).owners == ()
    master = running_master(nobody, served.port, str(served.config))
    assert master.pid == served.master
    pid_file = served.config.parent / "nginx.pid"
    assert master.found_by == f"named by {pid_file}; the owner of port {served.port} is not visible to us"
    assert config_dump(nobody, str(served.config)).error  # nginx -T may not open the pid file: the main file alone
