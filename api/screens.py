"""Officer batch screening: upload a table, get a run id, come back for the status and the workbook."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, BackgroundTasks, File, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from engine import ProfileIssue, write_template

from .edges import Timestamp, strict_bool, strict_day
from .errors import ApiError, responses
from .rulesource import pack_of
from .runs import temp_dir
from .screening import ScreenInputError, allocations_of, check_input, read_options
from .storage import ScreenRun, now

if TYPE_CHECKING:
    from .service import Service

log = logging.getLogger("ipcheck.screens")
XLSX_MAGIC = b"PK\x03\x04"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BEARER = [{"bearer": []}]


class ScreenStatus(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    officer: str
    created_at: Timestamp
    finished_at: Timestamp | None = None
    input_sha256: str
    rows: int
    rules_hash: str
    as_of: date
    summary: dict[str, Any] | None = Field(
        None,
        description=(
            "rows, valid, invalid (rows the profile model refused, listed in the errors sheet), duplicates (repeated "
            "credit codes), error_entries, rules_hash, as_of; policies: counts per policy of eligible / ineligible / "
            "undetermined; amounts: total benefit of the eligible per priced policy (万元); scores: score bins per "
            "scorecard; reasons: per policy, how many rows each condition decided"
        ),
    )
    error: str | None = None
    result_sha256: str | None = None
    result_url: str | None = None


def status_of(run: ScreenRun) -> ScreenStatus:
    return ScreenStatus(
        id=run.id,
        status=run.status,
        officer=run.officer,
        created_at=run.created_at,  # type: ignore[arg-type]
        finished_at=run.finished_at,
        input_sha256=run.input_sha256,
        rows=run.rows,
        rules_hash=run.rules_hash,
        as_of=run.as_of,
        summary=run.summary,
        error=run.error,
        result_sha256=run.result_sha256,
        result_url=f"/v1/screens/{run.id}/result" if run.status == "done" else None,
    )


EXAMPLE_STATUS = {
    "id": "3f2c9a7e0d6b4c1e9a8f7b6c5d4e3f21",
    "status": "done",
    "officer": "jiangbei-officer-1",
    "created_at": "2025-06-30T08:00:00Z",
    "finished_at": "2025-06-30T08:00:02Z",
    "input_sha256": "9c1185a5c5e9fc54612808977ee8f548b2258d31c8a0b1d3a1a0f4b3b2f1e0d9",
    "rows": 2,
    "rules_hash": "0123456789abcdef",
    "as_of": "2025-06-30",
    "summary": {
        "rows": 2,
        "valid": 2,
        "invalid": 0,
        "blank": 0,
        "duplicates": 0,
        "error_entries": 0,
        "rules_hash": "0123456789abcdef",
        "as_of": "2025-06-30",
        "policies": {"jb_new_ip_service_firm": {"eligible": 1, "ineligible": 0, "undetermined": 1, "error": 0}},
        "amounts": {"jb_new_ip_service_firm": 10.0},
        "scores": {"ip_strength_card": {"score 40-50": 1, "score unknown 分数未知": 1}},
        "reasons": {"jb_new_ip_service_firm": {"not_seriously_dishonest unknown 缺信息": 1}},
    },
    "error": None,
    "result_sha256": "5d41402abc4b2a76b9719d911017c592" * 2,
    "result_url": "/v1/screens/3f2c9a7e0d6b4c1e9a8f7b6c5d4e3f21/result",
}


CSV_EXAMPLE = "企业名称,成立日期,注册地行政区划代码,国民经济行业代码\n示例甲,2024-03-01,500105,M7520\n"


def kind_of(name: str, head: bytes) -> str:
    """'.xlsx' or '.csv', from the content first (names lie), then the file name."""
    if head.startswith(XLSX_MAGIC):
        return ".xlsx"
    if name.lower().endswith((".xlsx", ".xls")):
        raise ScreenInputError(
            "the file is not an xlsx workbook (old .xls files: save as .xlsx or .csv)",
            "文件不是 xlsx 工作簿（旧版 .xls 请另存为 .xlsx 或 .csv）",
        )
    return ".csv"


@lru_cache(maxsize=1)
def template_bytes() -> bytes:
    """The applicant template, built once per process (it depends only on the profile model)."""
    with tempfile.TemporaryDirectory(prefix="ipcheck-template-") as tmp:
        path = Path(tmp) / "template.xlsx"
        write_template(path)
        return path.read_bytes()


def bad_file(e: ScreenInputError) -> ApiError:
    """413 for a file over a reading limit; 422 otherwise. Several sheets holding data: one issue per
    sheet (`value` its name) so the page can offer the choice."""
    issues = [
        ProfileIssue(
            field="sheet",
            field_zh="工作表",
            value=name,
            message_en="hidden" if hidden else "visible",
            message_zh="隐藏" if hidden else "可见",
        )
        for name, hidden in e.sheets
    ]
    issues = issues or [ProfileIssue(field=e.field, field_zh=None, message_en=e.en, message_zh=e.zh)]
    error = "too_large" if e.status == 413 else "choose_sheet" if e.sheets else "invalid_file"
    return ApiError(e.status, error, e.en, e.zh, issues)


def router(service: Service) -> APIRouter:
    api = APIRouter(tags=["officer screening"])

    @api.post(
        "/v1/screens",
        status_code=202,
        summary="Upload a batch / 上传批量筛查",
        response_model=ScreenStatus,
        openapi_extra={"security": BEARER},
        responses={
            202: {
                "content": {
                    "application/json": {
                        "example": EXAMPLE_STATUS
                        | {
                            "status": "queued",
                            "finished_at": None,
                            "summary": None,
                            "result_sha256": None,
                            "result_url": None,
                        }
                    }
                }
            },
            **responses(400, 401, 413, 422),
        },
    )
    async def upload(
        request: Request,
        background: BackgroundTasks,
        file: UploadFile = File(
            description="xlsx or csv (UTF-8 or GBK); one enterprise per row, "
            "columns named by profile field or Chinese label"
        ),
        as_of: str | None = Form(
            None,
            description="Evaluation date YYYY-MM-DD / 评估日期 (default today)",
            json_schema_extra={"format": "date"},
        ),
        sheet: str | None = Form(None, max_length=31, description="Worksheet, when several hold data / 工作表"),
        quota: list[str] = Form(
            [],
            description="MEASURE=N, the measure by id or Chinese name (e.g. 贯标认证奖励=20): fund the first N / 名额",
        ),
        budget: list[str] = Form([], description="MEASURE=AMOUNT in 万元 / 预算（万元）"),
        ignore_unknown_columns: str | None = Form(
            None,
            description="true/false/1/0: screen even if some columns are not "
            "recognised; they are listed in the summary / 忽略无法识别的列",
            json_schema_extra={"enum": ["true", "false", "1", "0"]},
        ),
    ) -> ScreenStatus:
        """Starts a screening run in the background and answers with its id (202). The run is
        screened with the rule pack serving when it was uploaded, and records that pack's hash."""
        officer = service.officers.who(request)
        pack = pack_of(request)
        day = strict_day(as_of, "as_of") or date.today()
        ignore_unknown = strict_bool(ignore_unknown_columns, "ignore_unknown_columns", "忽略无法识别的列", False)
        try:
            allocations_of(pack, day, quota, budget)  # refuse a bad quota or budget now, not in the run
        except ScreenInputError as e:
            raise bad_file(e) from None
        asked = {"quota": list(quota), "budget": list(budget), "ignore_unknown": ignore_unknown}
        data = await file.read()
        if len(data) > service.limits.upload_bytes:
            raise ApiError(
                413,
                "too_large",
                f"the file is larger than {service.limits.upload_bytes} bytes",
                f"文件超过 {service.limits.upload_bytes} 字节上限",
            )
        try:
            suffix = kind_of(file.filename or "", data[:4])
            with temp_dir("upload") as tmp:
                path = Path(tmp) / f"input{suffix}"
                path.write_bytes(data)
                table = await run_in_threadpool(
                    check_input,
                    path,
                    service.limits.upload_rows,  # reads the whole file
                    read_options(service.limits, sheet),
                    ignore_unknown,
                )
        except ScreenInputError as e:
            raise bad_file(e) from None
        run = service.store.add(
            ScreenRun(
                officer=officer.name,
                input_name=f"input{suffix}",
                rows=table.rows,
                sheet=sheet,
                input_sha256=hashlib.sha256(data).hexdigest(),
                rules_hash=pack.hash,
                as_of=day,
                options=asked,
                status="queued",
                created_at=now(),
                claimed_by=service.runner.me,
                heartbeat_at=now(),
            ),
            data,
        )
        service.store.purge(service.limits.retention_days)
        log.info("screen run %s queued by %s: %d rows", run.id, officer.name, table.rows)
        kept = table if table.cells <= service.limits.kept_cells else None  # else the run reads the file again
        background.add_task(service.runner.process, run.id, pack, kept)
        return status_of(run)

    @api.get(
        "/v1/template",
        summary="Applicant template / 申报信息模板",
        response_class=Response,
        responses={
            200: {
                "content": {
                    XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}, "example": "(xlsx workbook)"}
                },
                "description": "The applicant template / 申报信息模板",
            }
        },
    )
    async def template() -> Response:
        """The workbook officers hand to applicants (`ipcheck template`): a column per profile fact with
        its Chinese label and unit, drop-downs and bounds, and an instructions sheet. No token needed."""
        return Response(
            template_bytes(),
            media_type=XLSX_TYPE,
            headers={
                "Content-Disposition": "attachment; filename*=UTF-8''%E7%94%B3%E6%8A%A5%E4%BF%A1%E6%81%AF%E6%A8%A1%E6%9D%BF.xlsx"
            },
        )

    @api.get(
        "/v1/screens",
        summary="Recent runs / 最近的筛查任务",
        response_model=list[ScreenStatus],
        openapi_extra={"security": BEARER},
        responses={200: {"content": {"application/json": {"example": [EXAMPLE_STATUS]}}}, **responses(401)},
    )
    async def recent(
        request: Request, limit: int = Query(20, ge=1, le=200, description="How many / 条数")
    ) -> list[ScreenStatus]:
        """The latest runs, newest first, so an officer can come back to a run later: an officer's own
        runs; a supervisor's token lists every officer's."""
        officer = service.officers.who(request)
        return [status_of(run) for run in service.store.recent(limit, None if officer.supervisor else officer.name)]

    def find(request: Request, run_id: str, *files: str) -> ScreenRun:
        """The run (with the stored `files` named), if this officer may see it: their own, or any for a
        supervisor. Another officer's run is 404 like a missing one, so run ids reveal nothing."""
        officer = service.officers.who(request)
        run = service.store.get(run_id, *files)
        if run is None or not officer.may_see(run.officer):
            raise ApiError(404, "unknown_run", f"no screening run {run_id!r}", f"没有编号为 {run_id!r} 的筛查任务")
        return run

    @api.get(
        "/v1/screens/{run_id}",
        summary="Run status / 筛查状态",
        response_model=ScreenStatus,
        openapi_extra={"security": BEARER},
        responses={200: {"content": {"application/json": {"example": EXAMPLE_STATUS}}}, **responses(401, 404)},
    )
    async def status(request: Request, response: Response, run_id: str) -> ScreenStatus:
        """Status, summary counts and the hashes that make the run auditable (X-Rules-Hash: the run's pack)."""
        run = find(request, run_id)
        response.headers["X-Rules-Hash"] = run.rules_hash
        return status_of(run)

    @api.get(
        "/v1/screens/{run_id}/result",
        summary="Result workbook / 下载结果",
        openapi_extra={"security": BEARER},
        response_class=Response,
        responses={
            200: {
                "content": {
                    XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}, "example": "(xlsx workbook)"}
                },
                "description": "The result workbook / 结果工作簿",
            },
            **responses(401, 404, 409),
        },
    )
    async def result(request: Request, run_id: str) -> Response:
        """The workbook of `ipcheck screen`: a decisions sheet (one row per input row, in input order,
        keyed by row number and credit code), a sheet per policy with the reasons and the unmet and
        unknown conditions, a summary sheet and an errors sheet (row, field, value, message in
        Chinese and English)."""
        run = find(request, run_id, "result_bytes")
        if run.status != "done" or run.result_bytes is None:
            raise ApiError(
                409,
                "not_ready",
                f"the run is {run.status}, no result to download",
                f"该任务状态为 {run.status}，暂无结果可下载",
            )
        return Response(
            run.result_bytes,
            media_type=XLSX_TYPE,
            headers={
                "Content-Disposition": f'attachment; filename="screen-{run.id}.xlsx"',
                "X-Input-SHA256": run.input_sha256,
                "X-Rules-Hash": run.rules_hash,
                "Cache-Control": "no-store",
            },
        )

    @api.get(
        "/v1/screens/{run_id}/input",
        summary="Input file / 原始上传文件",
        openapi_extra={"security": BEARER},
        response_class=Response,
        responses={
            200: {
                "content": {
                    "text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE},
                    XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
                },
                "description": "The uploaded file, byte for byte / 原始文件",
            },
            **responses(401, 404),
        },
    )
    async def input_file(request: Request, run_id: str) -> Response:
        """The file as uploaded (its SHA-256 is the run's input_sha256), to replay or audit the run."""
        run = find(request, run_id, "input_bytes")
        kind = XLSX_TYPE if run.input_name.endswith(".xlsx") else "text/csv"
        return Response(
            run.input_bytes,
            media_type=kind,
            headers={
                "Content-Disposition": f'attachment; filename="screen-{run.id}-{run.input_name}"',
                "X-Input-SHA256": run.input_sha256,
                "Cache-Control": "no-store",
            },
        )

    return api
