"""Throwaway redis-server and nginx on free loopback ports, apt-installed when missing (like tools.pg_throwaway)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path


class ServiceUnavailable(RuntimeError):
    """The Debian package is missing and cannot be installed here (no root or no apt-get)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_binary(binary: str, package: str, *, candidates: tuple[str, ...] = ()) -> Path:
    """The path of `binary`; apt-installs Debian's `package` first when it is missing (needs root and apt)."""

    def find() -> Path | None:
        for c in candidates:
            if Path(c).exists():
                return Path(c)
        found = shutil.which(binary)
        return Path(found) if found else None

    path = find()
    if path:
        return path
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ServiceUnavailable(f"{binary} is not installed and apt-get as root is not available")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", package]
    proc = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:  # a stale package list is the usual cause: refresh once and retry
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, text=True, timeout=900)
        proc = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise ServiceUnavailable(f"apt-get install {package} failed: {proc.stderr[-500:]}")
    path = find()
    if not path:
        raise ServiceUnavailable(f"installed {package} but found no {binary}")
    return path


def kill_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, wait_s: float = 15.0) -> None:
    """Signal the process group started with `start_new_session`; SIGKILL it when it does not exit in time."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def spawn(
    cmd: list[str], *, log: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start `cmd` in its own process group, stdout and stderr to `log`."""
    with log.open("wb") as fh:
        return subprocess.Popen(cmd, env=env, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
        time.sleep(0.1)
    return False


def tail(path: Path, chars: int = 2000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return ""


@dataclass
class ThrowawayRedis:
    """redis-server without persistence on a free loopback port, in its own process group."""

    base: Path
    port: int
    proc: subprocess.Popen[bytes]

    @classmethod
    def start(cls, base: Path | None = None) -> ThrowawayRedis:
        binary = ensure_binary("redis-server", "redis-server")
        own = base is None
        base = base or Path(tempfile.mkdtemp(prefix="redis-"))
        base.mkdir(parents=True, exist_ok=True)
        port = free_port()
        cmd = [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        cmd += ["--dir", str(base), "--daemonize", "no", "--logfile", ""]
        proc = spawn(cmd, log=base / "redis.log")
        redis = cls(base=base, port=port, proc=proc)
        if not wait_port(port, proc, 30):
            log = tail(base / "redis.log")
            redis.stop(remove=own)
            raise RuntimeError(f"redis-server did not start: {log}")
        return redis

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self, *, remove: bool = True) -> None:
        kill_group(self.proc)
        if remove:
            shutil.rmtree(self.base, ignore_errors=True)


@dataclass
class Nginx:
    """nginx in the foreground with its own prefix, config, pid and logs under `base`."""

    base: Path
    proc: subprocess.Popen[bytes]
    ports: list[int] = field(default_factory=list)

    @classmethod
    def start(cls, base: Path, http_config: str, ports: list[int]) -> Nginx:
        """`http_config` is the body of the `http {}` block; `ports` are the ones it listens on (waited for)."""
        binary = ensure_binary("nginx", "nginx", candidates=("/usr/sbin/nginx",))
        base.mkdir(parents=True, exist_ok=True)
        for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (base / "tmp" / d).mkdir(parents=True, exist_ok=True)
        # as root the workers would switch to `nobody`; this is a loopback test rig, keep them as root
        user = "user root;\n" if os.geteuid() == 0 else ""
        temp = f"client_body_temp_path {base / 'tmp' / 'body'};\n"
        temp += "".join(f"{d}_temp_path {base / 'tmp' / d};\n" for d in ("proxy", "fastcgi", "uwsgi", "scgi"))
        conf = base / "nginx.conf"
        conf.write_text(
            f"{user}worker_processes 1;\npid {base / 'nginx.pid'};\nerror_log {base / 'error.log'} warn;\n"
            f"events {{ worker_connections 2048; }}\n"
            f"http {{\n{temp}access_log off;\n{http_config}\n}}\n"
        )
        cmd = [str(binary), "-p", str(base), "-e", str(base / "error.log"), "-c", str(conf), "-g", "daemon off;"]
        proc = spawn(cmd, log=base / "nginx.out")
        nginx = cls(base=base, proc=proc, ports=ports)
        for port in ports:
            if not wait_port(port, proc, 30):
                out = tail(base / "nginx.out") + tail(base / "error.log")
                nginx.stop()
                raise RuntimeError(f"nginx did not start: {out}")
        return nginx

    def stop(self) -> None:
        kill_group(self.proc, signal.SIGQUIT)  # graceful: finish open requests, then exit
