"""The rig's image, built here without a registry: a BusyBox root filesystem, `docker import`ed under two tags.

`1.0` is the release the target expects; `0.9` the one before it (another /etc/opsgate-rig-release, so another
image id), which the wrong-image-tag fault rolls back to. Services that need more than BusyBox (the proxy runs the
host's nginx) bind the host's /usr read-only: /lib and /lib64 point into it, as on a merged-/usr Debian.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import docker
import docker.errors

REPOSITORY = "opsgate-rig"
CURRENT, PREVIOUS = "1.0", "0.9"
ACCOUNTS = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    "etc/group": "root:x:0:\nnogroup:x:65534:\n",
}


def _busybox() -> Path:
    found = shutil.which("busybox")
    if not found:
        raise FileNotFoundError("busybox not found: apt-get install busybox-static")
    return Path(found)


def _add(archive: tarfile.TarFile, name: str, *, data: bytes = b"", kind: bytes = tarfile.REGTYPE,
         mode: int = 0o644, link: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.linkname, info.size = kind, mode, link, len(data) if kind == tarfile.REGTYPE else 0
    archive.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def root_filesystem(release: str) -> bytes:
    """A tar of BusyBox and its applets, accounts, mount points and the release file."""
    busybox = _busybox()
    applets = subprocess.run([str(busybox), "--list"], capture_output=True, text=True, check=True, timeout=10)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for directory, mode in (("bin", 0o755), ("etc", 0o755), ("tmp", 0o1777), ("usr", 0o755), ("srv", 0o755),
                                ("run", 0o755), ("root", 0o700)):
            _add(archive, directory, kind=tarfile.DIRTYPE, mode=mode)
        _add(archive, "bin/busybox", data=busybox.read_bytes(), mode=0o755)
        for applet in applets.stdout.split():
            if applet != "busybox":
                _add(archive, f"bin/{applet}", kind=tarfile.SYMTYPE, link="busybox", mode=0o777)
        for name, link in (("lib", "usr/lib"), ("lib64", "usr/lib64")):
            _add(archive, name, kind=tarfile.SYMTYPE, link=link, mode=0o777)
        for name, text in {**ACCOUNTS, "etc/opsgate-rig-release": f"{release}\n"}.items():
            _add(archive, name, data=text.encode())
    return buffer.getvalue()


def ensure_images(client: docker.DockerClient) -> None:
    """Import each tag of the rig's image that the engine does not have yet."""
    for tag in (CURRENT, PREVIOUS):
        try:
            client.images.get(f"{REPOSITORY}:{tag}")
            continue
        except docker.errors.ImageNotFound:
            pass
        with tempfile.NamedTemporaryFile(suffix=".tar") as rootfs:
            rootfs.write(root_filesystem(tag))
            rootfs.flush()
            client.api.import_image_from_file(rootfs.name, repository=REPOSITORY, tag=tag,
                                              changes=['CMD ["/bin/sh"]'])
