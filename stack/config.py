"""Where the reference stack lives: paths, ports and the development secrets it is started with.

Ports can be moved with `OPSGATE_PORT_<SERVICE>` (e.g. `OPSGATE_PORT_NGINX_HTTPS=28443`); a stack on moved ports
needs its own copy of `targets/local.yml`. Secrets come from the same `OPSGATE_*` variables that
`targets/local.yml` interpolates, with the same development defaults, so the gate and the stack agree.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".stack"
TEMPLATES = Path(__file__).resolve().parent / "templates"
FRONTEND_SOURCE = Path(__file__).resolve().parent / "frontend"
HOST = "127.0.0.1"
# PostgreSQL refuses to run as root; when we are root every server of the stack runs as this system user.
SERVICE_USER = "opsgate"

_DEFAULT_PORTS = {
    "postgres": 15432,
    "postgres_replica": 15433,
    "redis": 16379,
    "app": 18000,
    "nginx_http": 18080,
    "nginx_https": 18443,
    "prometheus": 19090,
    "alertmanager": 19093,
    "node_exporter": 19100,
    "postgres_exporter": 19187,
    "redis_exporter": 19121,
    "decoy_uvicorn": 18010,  # the variant shape's second uvicorn and second nginx on the same host
    "decoy_nginx": 18090,
    "slow_proxy": 18001,
    "nothing_listens": 18002,  # the upstream-refused fault points nginx here
    "s3": 19900,
    "drill_app": 18020,
    "rig_web": 18091,  # the Compose project on the stack's own Docker Engine (host networking)
    "rig_proxy": 18092,  # a DR drill's app instance on a restored copy (`python -m stack drill-app`)
    "postgres_debian": 15442,  # the debian shape's extension, beside the default shape's servers
    "app_debian": 18030,
}
PORTS = {name: int(os.environ.get(f"OPSGATE_PORT_{name.upper()}", port)) for name, port in _DEFAULT_PORTS.items()}

_DEFAULT_SECRETS = {
    "OPSGATE_PG_PASSWORD": "opsgate-app-pw",
    "OPSGATE_PG_MONITOR_PASSWORD": "opsgate-monitor-pw",
    "OPSGATE_PG_BACKUP_PASSWORD": "opsgate-backup-pw",  # the debian shape's backup role
    "OPSGATE_REDIS_PASSWORD": "opsgate-redis-pw",
    "OPSGATE_DEMO_PASSWORD": "opsgate-demo-pw",
    "OPSGATE_JWT_SECRET": "opsgate-jwt-secret-for-local-use-only",
    "OPSGATE_S3_SECRET": "opsgate-s3-secret",
}
SECRETS = {name: os.environ.get(name, default) for name, default in _DEFAULT_SECRETS.items()}

DEMO_USER = "demo"
APP_DB = "app"
APP_ROLE = "app"
MONITOR_ROLE = "monitor"
CORS_ORIGINS = (f"https://localhost:{PORTS['nginx_https']}", "https://app.opsgate.test")
SERVER_NAMES = ("localhost", "opsgate.test")
# PostgreSQL's files live on a size-limited tmpfs of this size (when root), so a disk-full fault is real.
PG_FILESYSTEM_SIZE = os.environ.get("OPSGATE_PG_FS_SIZE", "1g")


def app_dsn(role: str = APP_ROLE, password_key: str = "OPSGATE_PG_PASSWORD", port_key: str = "postgres") -> str:
    return f"postgresql://{role}:{SECRETS[password_key]}@{HOST}:{PORTS[port_key]}/{APP_DB}"


def redis_url(db: int = 0) -> str:
    return f"redis://:{SECRETS['OPSGATE_REDIS_PASSWORD']}@{HOST}:{PORTS['redis']}/{db}"
