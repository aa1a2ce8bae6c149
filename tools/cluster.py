"""N gateway + N Rasa replicas, one action server, PostgreSQL, Redis and nginx on free loopback ports.

The rig behind `tests/scale` and `python -m bench.scale`: what a Kubernetes deployment runs, on one
machine. Every process has its own process group and is stopped when the context exits, also on failure.

    citizen ──> nginx :public ──> gateway 1..N  (round robin)
    gateway i ──> nginx :rasa-i ──> Rasa i, the other Rasa replicas as backup
    Rasa 1..N ──> action server ──> nginx :public (GATEWAY_URL) for search and cases
    Rasa: tracker in PostgreSQL, conversation locks in Redis (bot/endpoints.shared.yml)
    gateways: cases, channel inbox and handoffs in PostgreSQL; rate-limit buckets in Redis

Gateway i prefers Rasa i: every Rasa can answer every conversation (the tracker is shared), so the preference
only keeps the test's turns on known replicas; when Rasa i is down nginx passes the turn to a backup.

A turn already sent to a Rasa that dies is NOT resent to another one (no `non_idempotent`): the turn may have
run actions (a complaint, a handoff) before the crash, and the dead replica's ticket lock holds that
conversation for TICKET_LOCK_LIFETIME anyway, so a resend would only wait. The gateway answers that one turn
from search (degraded). Turns that never reached the dead Rasa (connection refused) go to the backup.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tools.pg_throwaway import PostgresUnavailable, ThrowawayPostgres
from tools.services import Nginx, ServiceUnavailable, ThrowawayRedis, free_port, kill_group, spawn, tail

ROOT = Path(__file__).resolve().parents[1]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
UVICORN = ROOT / ".venv" / "bin" / "uvicorn"
MODEL = ROOT / "bot" / "models" / "baihua.tar.gz"
REST = "/webhooks/rest/webhook"
WARM_UP = "社保卡丢了怎么补办"


class ClusterUnavailable(ServiceUnavailable):
    """Something the rig needs is missing here (Rasa, a trained model, or a Debian package)."""


class ClusterError(RuntimeError):
    """A part did not start; the message carries the tails of the logs."""


@dataclass
class Cluster:
    tmp: Path
    replicas: int
    public_url: str  # nginx over every gateway: what citizens reach
    gateway_urls: list[str]  # direct, bypassing nginx
    rasa_urls: list[str]  # direct
    rasa_via_urls: list[str]  # nginx, Rasa i first: gateway i's RASA_URL
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    nginx: Nginx | None = None

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Kill one part (e.g. "rasa-2") with its whole process group, as a crashed pod would die."""
        proc = self.procs[name]
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        proc.wait(timeout=30)

    def rasa_hits(self, since: float = 0.0) -> list[tuple[int, str, int]]:
        """(nginx port, upstream address, status) of every turn nginx passed to a Rasa after `since` (epoch s)."""
        path = self.tmp / "nginx" / "rasa_access.log"
        out = []
        for line in path.read_text().splitlines() if path.exists() else []:
            msec, port, uri, status, upstream = line.split("|")[:5]
            if uri == REST and float(msec) >= since:
                out.append((int(port), upstream, int(status)))
        return out

    def log_tails(self, chars: int = 1500) -> str:
        parts = [f"--- {name} ({path}) ---\n{tail(path, chars)}" for name, path in self.logs.items()]
        return "\n".join(parts)


def nginx_http_config(base: Path, *, public: int, gateways: list[int], via: list[int], rasa: list[int]) -> str:
    def servers(ports: list[int], backups: list[int] | None = None) -> str:
        lines = [f"server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in ports]
        lines += [f"server 127.0.0.1:{p} backup;" for p in backups or []]
        # close idle upstream connections before uvicorn / Sanic do (both 5 s), so a turn never meets a closed one
        return "\n  ".join([*lines, "keepalive 32;", "keepalive_timeout 2s;"])

    upstreams = f"upstream gateways {{\n  {servers(gateways)}\n}}\n"
    for i, _ in enumerate(via):
        others = [p for j, p in enumerate(rasa) if j != i]
        upstreams += f"upstream rasa_{i} {{\n  {servers([rasa[i]], others)}\n}}\n"
    common = """
log_format hops '$msec|$server_port|$uri|$status|$upstream_addr|$upstream_status|$request_time';
proxy_http_version 1.1;
proxy_set_header Connection "";
proxy_set_header Host $host;
proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
proxy_connect_timeout 1s;
proxy_read_timeout 60s;
proxy_next_upstream error timeout http_502 http_503;
proxy_next_upstream_tries 2;
client_max_body_size 1m;
"""
    body = common + upstreams
    body += f"server {{ listen 127.0.0.1:{public}; location / {{ proxy_pass http://gateways; }}\n"
    body += f"  access_log {base / 'gateway_access.log'} hops; }}\n"
    for i, port in enumerate(via):
        body += f"server {{ listen 127.0.0.1:{port}; location / {{ proxy_pass http://rasa_{i}; }}\n"
        body += f"  access_log {base / 'rasa_access.log'} hops; }}\n"
    return body


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2, trust_env=False).status_code == 200:
                return True
        time.sleep(1.0)
    return False


def _require_rasa() -> None:
    if not RASA.exists():
        raise ClusterUnavailable(f"{RASA} missing: run `make setup`")
    if not MODEL.exists():
        raise ClusterUnavailable(f"{MODEL} missing: run `make bot-train`")


@contextmanager
def cluster(
    tmp: Path,
    *,
    replicas: int = 2,
    gateway_env: dict[str, str] | None = None,
    ticket_lock_lifetime_s: int = 10,
    start_timeout_s: float = 900.0,
) -> Iterator[Cluster]:
    """Start everything, wait until each part answers, warm each Rasa up; stop everything on exit."""
    _require_rasa()
    with ExitStack() as stack:
        try:
            pg = ThrowawayPostgres.start()
        except PostgresUnavailable as exc:
            raise ClusterUnavailable(f"PostgreSQL: {exc}") from exc
        stack.callback(pg.stop)
        cases_url = pg.create_database("cases")
        pg.create_database("rasa_tracker")
        redis = ThrowawayRedis.start(tmp / "redis")  # raises ServiceUnavailable when it cannot be installed
        stack.callback(redis.stop, remove=False)

        n = replicas
        gw_ports = [free_port() for _ in range(n)]
        rasa_ports = [free_port() for _ in range(n)]
        via_ports = [free_port() for _ in range(n)]
        public, actions = free_port(), free_port()
        c = Cluster(
            tmp=tmp,
            replicas=n,
            public_url=f"http://127.0.0.1:{public}",
            gateway_urls=[f"http://127.0.0.1:{p}" for p in gw_ports],
            rasa_urls=[f"http://127.0.0.1:{p}" for p in rasa_ports],
            rasa_via_urls=[f"http://127.0.0.1:{p}" for p in via_ports],
        )
        c.logs["postgres"] = pg.base / "log"
        c.logs["redis"] = tmp / "redis" / "redis.log"
        nginx_dir = tmp / "nginx"
        nginx_dir.mkdir()
        conf = nginx_http_config(nginx_dir, public=public, gateways=gw_ports, via=via_ports, rasa=rasa_ports)
        c.logs["nginx"] = nginx_dir / "error.log"
        c.nginx = Nginx.start(nginx_dir, conf, [public, *via_ports])
        stack.callback(c.nginx.stop)

        def start(name: str, cmd: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
            log = tmp / f"{name}.log"
            proc = spawn(cmd, env=env, cwd=cwd, log=log)
            stack.callback(kill_group, proc)
            c.procs[name], c.logs[name] = proc, log
            return proc

        token = secrets.token_urlsafe(24)  # the action server -> gateway X-Internal-Token, same on both sides
        base_env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "INTERNAL_TOKEN": token}
        actions_env = {**base_env, "SANIC_HOST": "127.0.0.1", "GATEWAY_URL": c.public_url}
        start(
            "actions",
            [str(RASA), "run", "actions", "--actions", "actions", "-p", str(actions)],
            actions_env,
            ROOT / "bot",
        )
        rasa_env = {
            **base_env,
            "TRACKER_DB_HOST": "127.0.0.1",
            "TRACKER_DB_PORT": str(pg.port),
            "TRACKER_DB_NAME": "rasa_tracker",
            "TRACKER_DB_USER": "postgres",
            "TRACKER_DB_PASSWORD": "",
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(redis.port),
            "REDIS_PASSWORD": "",
            "REDIS_LOCK_DB": "1",
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions}/webhook",
            "TICKET_LOCK_LIFETIME": str(ticket_lock_lifetime_s),
        }
        for i, port in enumerate(rasa_ports, 1):
            cmd = [str(RASA), "run", "-i", "127.0.0.1", "-p", str(port), "-m", str(MODEL)]
            cmd += ["--credentials", "credentials.yml", "--endpoints", "endpoints.shared.yml"]
            start(f"rasa-{i}", cmd, rasa_env, ROOT / "bot")
        for i, port in enumerate(gw_ports, 1):
            env = {
                **base_env,
                "APP_ENV": "test",
                "DATABASE_URL": cases_url,
                "REDIS_URL": redis.url,
                "RASA_URL": c.rasa_via_urls[i - 1],
                "CHAT_RATE_SENDER_BURST": "100000",  # load runs come from one address and reuse senders
                "CHAT_RATE_IP_BURST": "100000",
                **(gateway_env or {}),
            }
            cmd = [str(UVICORN), "--factory", "api.main:create_app", "--host", "127.0.0.1", "--port", str(port)]
            cmd += ["--log-level", "warning", "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"]
            start(f"gateway-{i}", cmd, env, ROOT)

        # all started at once (Rasa loads for 1-2 minutes on 2 cores); now wait on each, bounded
        deadline = time.monotonic() + start_timeout_s
        checks = [(f"gateway-{i}", url + "/healthz") for i, url in enumerate(c.gateway_urls, 1)]
        checks += [(f"rasa-{i}", url + "/") for i, url in enumerate(c.rasa_urls, 1)]
        checks += [("actions", f"http://127.0.0.1:{actions}/health")]
        for name, url in checks:
            if not wait_http(url, c.procs[name], max(1.0, deadline - time.monotonic())):
                raise ClusterError(f"{name} did not start ({url})\n{c.log_tails()}")
        warm_up(c)
        yield c


def warm_up(c: Cluster) -> None:
    """One guide question per Rasa replica, directly: the first prediction and the action path are slow once."""
    for i, url in enumerate(c.rasa_urls, 1):
        for n in range(2):  # twice, so the action server's search calls reach both gateways through nginx
            body = {"sender": f"warm-up-{i}-{n}", "message": WARM_UP}
            resp = httpx.post(url + REST, json=body, timeout=120, trust_env=False)
            if resp.status_code != 200 or not resp.json():
                raise ClusterError(f"rasa-{i} warm-up failed: {resp.status_code} {resp.text[:300]}\n{c.log_tails()}")
