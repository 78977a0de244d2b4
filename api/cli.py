"""The whole `ipcheck` command: the engine's commands plus `ipcheck serve`, which runs the service.

`serve` lives here, on the service's side, so that the engine never imports `api`."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import click

from engine import RuleLoadError
from engine.cli.main import main as engine_commands


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on / 监听地址")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port / 端口")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (one per core is a good start) / 进程数",
)
@click.option(
    "--rules",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Rule folder (default: the bundled rules/) / 规则目录",
)
@click.option(
    "--rules-poll",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds between checks of the rule folder for edits; 0 = no hot reload "
    "(default $IPCHECK_RULES_POLL or 1) / 规则目录检查间隔（秒），0 为不自动重新加载",
)
@click.option(
    "--database-url",
    default=None,
    help="SQLAlchemy URL for screening runs (default $DATABASE_URL or sqlite:///ipcheck.sqlite3)",
)
def serve(
    host: str, port: int, workers: int, rules: Path | None, rules_poll: float | None, database_url: str | None
) -> None:
    """Serve the self-check pages and API / 启动自评服务

    Each worker watches the rule folder and reloads an edited pack on its own; a pack that fails
    to load or lint is refused (the last good pack keeps serving; GET /v1/rules/version says why)."""
    import uvicorn
    from sqlalchemy.exc import SQLAlchemyError

    from .app import app_from_env
    from .oneshot import UVICORN_HTTP

    if rules is not None:
        os.environ["IPCHECK_RULES"] = str(rules.resolve())
    if rules_poll is not None:
        os.environ["IPCHECK_RULES_POLL"] = str(rules_poll)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    try:
        app_from_env()  # fail here, with a clear message, rather than inside a worker
    except RuleLoadError as e:
        raise click.ClickException(f"规则包加载失败 / the rule pack failed to load:\n{e}") from None
    except SQLAlchemyError as e:
        raise click.ClickException(f"数据库不可用 / the database is unavailable: {type(e).__name__}: {e}") from None
    except (OSError, ValueError) as e:  # e.g. an unreadable or malformed officer token file
        raise click.ClickException(f"配置有误 / bad configuration: {e}") from None
    uvicorn.run(
        "api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        server_header=False,
        http=UVICORN_HTTP,  # head and body in one send (api/oneshot.py)
        log_config=log_config(),
    )


def log_config() -> dict[str, Any]:
    """uvicorn's logging, plus the service's own loggers (rule reloads, screening runs) at INFO."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["ipcheck"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


main = click.CommandCollection(
    sources=[engine_commands, click.Group(commands=[serve])],
    help=engine_commands.help,
    context_settings=engine_commands.context_settings,
)
