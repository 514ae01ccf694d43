"""The few lines `stations serve` ends its start with: where to go, how to sign in, where the
data is; printed once the service answers (whichever of its processes answers first)."""

import logging
import socket
import threading
from collections.abc import Callable

from rich.console import Console

from stations.settings import Settings
from tenants.event_store import server_label

log = logging.getLogger("stations.cli")
ANY_ADDRESS = ("0.0.0.0", "::", "")


def connect_to(host: str) -> str:
    return "127.0.0.1" if host in ANY_ADDRESS else host


def address(host: str, port: int) -> str:
    shown = connect_to(host)
    return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}"


def facts(settings: Settings, base: str) -> dict[str, str]:
    """What a newcomer needs, by the name a JSON log line gives it."""
    development = settings.environment == "development"
    return {
        "dashboard": f"{base}/",
        "sign_in": "在登录页选择角色 / pick a role on the sign-in page" if development else
                   "用 `stations token --role city` 签发令牌，在登录页粘贴 / mint a token with"
                   " `stations token --role city` and paste it on the sign-in page",
        "data": str(settings.data_dir) if settings.database_url is None else server_label(settings.database_url),
        "api_docs": f"{base}/docs",
        "metrics": f"{base}/metrics",
    }


def block(settings: Settings, base: str) -> str:
    said = facts(settings, base)
    where = "数据目录 / data directory" if settings.database_url is None else "数据库 / database"
    return "\n".join([
        "[bold green]民政服务站报表服务已启动 / the service is up[/]",
        f"  仪表盘 / dashboard    {said['dashboard']}",
        f"  登录 / sign in        {said['sign_in']}",
        f"  {where}  {said['data']}",
        f"  接口文档 / API docs   {said['api_docs']}",
        "  Ctrl-C 停止服务 / Ctrl-C stops the service",
    ])


def announce_when_up(settings: Settings, host: str, port: int, console: Console) -> Callable[[], None]:
    """Start watching for the service's first answer, then say `block` (as one line in JSON
    logs); the function returned stops watching."""
    base, done = address(host, port), threading.Event()

    def watch() -> None:
        while not done.wait(0.2):
            try:  # uvicorn listens once the application has started
                socket.create_connection((connect_to(host), port), timeout=1).close()
            except OSError:
                continue
            if settings.log_lines == "json":
                log.info("the service is up", extra=facts(settings, base))
            else:
                console.print(block(settings, base), highlight=False, soft_wrap=True)
            return

    threading.Thread(target=watch, name="welcome", daemon=True).start()
    return done.set
