"""Officer batch screening: tokens, uploads (csv utf-8 / gbk, xlsx), limits, stored and fetched runs."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import Officers, digest
from api.limits import Limits
from api.storage import Store
from engine.language.loader import load_pack

AUTH = {"Authorization": "Bearer s3cret"}
CSV = (
    "统一社会信用代码,企业名称,成立日期,注册地行政区划代码,国民经济行业代码,主营知识产权服务,列入严重失信主体名单,从未受知识产权侵权处罚\n"
    "91500105MA5U00011E,示例甲,2024-03-01,500105,M7520,是,否,是\n"
    ",示例乙,2015-06-18,500105,C3484,,,\n"
    ",示例丙,2024-01-01,500105,M7520,是,,是\n"
    ",坏行,2024-01-01,500105,X99,,,\n"
)


@pytest.fixture()
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runs.sqlite3'}"


@pytest.fixture()
def client(db_url: str) -> TestClient:
    return TestClient(
        create_app(
            database_url=db_url, officer_tokens={"alice": "s3cret"}, limits=Limits(upload_bytes=200_000, upload_rows=50)
        )
    )


def upload(
    client: TestClient,
    content: bytes,
    name: str = "batch.csv",
    headers: dict | None = None,
    as_of: str | None = "2025-06-30",
) -> object:
    return client.post(
        "/v1/screens",
        headers=AUTH if headers is None else headers,
        files={"file": (name, content, "application/octet-stream")},
        data={"as_of": as_of} if as_of else {},
    )


def workbook(rows: list[dict]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    header = list(rows[0])
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        sheet.write_row(r, 0, [row[h] for h in header])
    book.close()
    return buffer.getvalue()


def test_csv_run_is_stored_with_its_hashes_and_can_be_fetched(client: TestClient) -> None:
    data = CSV.encode("utf-8")
    r = upload(client, data)
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]
    status = client.get(f"/v1/screens/{run_id}", headers=AUTH).json()
    assert status["status"] == "done"
    assert status["officer"] == "alice"
    assert status["input_sha256"] == hashlib.sha256(data).hexdigest()
    assert status["rules_hash"] == load_pack().hash and status["as_of"] == "2025-06-30"
    assert status["summary"]["rows"] == 4 and status["summary"]["invalid"] == 1
    assert status["summary"]["policies"]["jb_new_ip_service_firm"] == {
        "eligible": 1,
        "ineligible": 1,
        "undetermined": 1,
        "error": 0,
    }
    result = client.get(status["result_url"], headers=AUTH)
    assert result.status_code == 200
    assert hashlib.sha256(result.content).hexdigest() == status["result_sha256"]
    book = pd.read_excel(io.BytesIO(result.content), engine="calamine", sheet_name=None, header=None)
    assert list(book)[:2] == ["汇总", "筛查结果"] and list(book)[-2:] == ["数据问题", "说明"]
    assert "新设立知识产权服务企业支持" in book  # a sheet per measure with eligible applicants, by Chinese name
    sheet = book["筛查结果"]
    body = pd.DataFrame(sheet.iloc[2:].values, columns=sheet.iloc[1].tolist())
    assert list(body["行号"]) == [2, 3, 4, 5] and list(body["企业名称"]) == ["示例甲", "示例乙", "示例丙", "坏行"]
    col = sheet.iloc[0].tolist().index("新设立知识产权服务企业支持")
    verdicts, reasons = sheet.iloc[2:, col].tolist(), sheet.iloc[2:, col + 1].fillna("").tolist()
    assert verdicts == ["符合", "不符合", "待定（缺少信息）", "数据有误"]
    assert "成立日期" in reasons[1] and "列入严重失信主体名单" in reasons[2] and "国民经济行业代码" in reasons[3]
    about = book["汇总"].astype(str).values.ravel().tolist()
    assert status["rules_hash"] in about and "2025-06-30" in about  # the workbook names its pack and date
    errors = pd.DataFrame(book["数据问题"].iloc[1:].values, columns=book["数据问题"].iloc[0].tolist())
    assert errors[["行号", "字段", "值"]].values.tolist() == [[5, "国民经济行业代码", "X99"]]
    assert errors["说明"][0] and errors["message (English)"][0]


def test_runs_are_listed_and_their_input_can_be_fetched_for_replay(client: TestClient) -> None:
    data = CSV.encode("gbk")
    run_id = upload(client, data).json()["id"]
    listed = client.get("/v1/screens?limit=5", headers=AUTH).json()
    assert listed[0]["id"] == run_id
    original = client.get(f"/v1/screens/{run_id}/input", headers=AUTH)
    assert original.content == data and original.headers["x-input-sha256"] == hashlib.sha256(data).hexdigest()
    assert client.get("/v1/screens", headers={}).status_code == 401
    assert client.get("/v1/screens?limit=0", headers=AUTH).status_code == 422


def test_gbk_csv_and_xlsx_give_the_same_decisions(client: TestClient) -> None:
    runs = [upload(client, CSV.encode("gbk")).json()["id"]]
    frame = pd.read_csv(io.StringIO(CSV), dtype=str, keep_default_na=False)
    runs.append(upload(client, workbook(frame.to_dict("records")), name="batch.xlsx").json()["id"])
    summaries = [client.get(f"/v1/screens/{r}", headers=AUTH).json()["summary"] for r in runs]
    assert summaries[0]["policies"] == summaries[1]["policies"]


def test_xlsx_with_numeric_codes_and_real_dates(client: TestClient) -> None:
    from datetime import datetime

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet, day = book.add_worksheet(), book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(
        0,
        0,
        [
            "registration_date",
            "division_code",
            "industry_code",
            "ip_service_business",
            "serious_dishonesty_list",
            "employees",
            "ip_penalty_free",
        ],
    )
    sheet.write_datetime(1, 0, datetime(2024, 3, 1), day)
    sheet.write_row(1, 1, [500105, "M7520", True, False, 12.0, True])
    book.close()
    run_id = upload(client, buffer.getvalue(), name="one.xlsx").json()["id"]
    summary = client.get(f"/v1/screens/{run_id}", headers=AUTH).json()["summary"]
    assert summary["invalid"] == 0 and summary["policies"]["jb_new_ip_service_firm"]["eligible"] == 1


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret"}, {"Authorization": "Bearer "}]
)
def test_officer_endpoints_need_a_valid_token(client: TestClient, headers: dict) -> None:
    assert upload(client, CSV.encode(), headers=headers).status_code == 401
    run_id = upload(client, CSV.encode()).json()["id"]
    for path in (f"/v1/screens/{run_id}", f"/v1/screens/{run_id}/result", f"/v1/screens/{run_id}/input"):
        r = client.get(path, headers=headers)
        assert r.status_code == 401 and r.json()["message_zh"]


@pytest.mark.parametrize(
    "content, name, field",
    [
        (b"", "empty.csv", "file"),
        (b"employees\n", "header_only.csv", "rows"),
        (b"\x81\xff\xfe\x00" * 10, "binary.csv", "file"),
        (b"not a workbook", "fake.xlsx", "file"),
        (b"PK\x03\x04broken zip", "broken.xlsx", "file"),
        (b"shoe_size,name\n42,a\n", "unknown.csv", "columns"),
    ],
)
def test_bad_files_get_a_bilingual_422(client: TestClient, content: bytes, name: str, field: str) -> None:
    r = upload(client, content, name=name)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["issues"][0]["field"] == field and body["message_zh"] and body["message_en"]


def test_too_many_rows_is_422_and_too_large_is_413(client: TestClient) -> None:
    many = "employees\n" + "1\n" * 51
    r = upload(client, many.encode())
    assert r.status_code == 422 and "51" in r.json()["message_en"]
    r = upload(client, b"employees\n" + b"1\n" * 150_000)
    assert r.status_code == 413


def test_bad_as_of_and_missing_file(client: TestClient) -> None:
    assert upload(client, CSV.encode(), as_of="2025-02-30").status_code == 422
    r = client.post("/v1/screens", headers=AUTH, data={"as_of": "2025-06-30"})
    assert r.status_code == 422 and r.json()["issues"][0]["field"] == "body.file"


def test_unknown_run_and_result_not_ready(client: TestClient, db_url: str) -> None:
    assert client.get("/v1/screens/nope", headers=AUTH).status_code == 404
    run_id = upload(client, CSV.encode()).json()["id"]
    Store(db_url).update(run_id, status="running", result_bytes=None)
    r = client.get(f"/v1/screens/{run_id}/result", headers=AUTH)
    assert r.status_code == 409 and r.json()["message_zh"]


def test_runs_survive_a_restart(db_url: str) -> None:
    first = TestClient(create_app(database_url=db_url, officer_tokens={"alice": "s3cret"}))
    run_id = upload(first, CSV.encode()).json()["id"]
    again = TestClient(create_app(database_url=db_url, officer_tokens={"bob": "other"}, supervisors=("bob",)))
    status = again.get(f"/v1/screens/{run_id}", headers={"Authorization": "Bearer other"}).json()
    assert status["officer"] == "alice" and status["status"] == "done"


def test_tokens_from_environment_and_file_are_kept_hashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text(f"# officers\ncarol:sha256:{digest('c-token')}\ndave:d-token\n", encoding="utf-8")
    monkeypatch.setenv("IPCHECK_OFFICER_TOKENS", "alice:a-token, bob:b-token")
    monkeypatch.setenv("IPCHECK_OFFICER_TOKENS_FILE", str(tokens))
    officers = Officers.from_env()
    assert sorted(o.name for o in officers.hashes.values()) == ["alice", "bob", "carol", "dave"]
    assert digest("c-token") in officers.hashes and "a-token" not in repr(officers.hashes)
    with pytest.raises(ValueError, match="name:token"):
        Officers.parse(["no-colon-here"])


def test_no_applicant_data_in_logs(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    upload(client, CSV.encode())
    upload(client, b"shoe_size\n1\n")
    logged = caplog.text
    assert "示例甲" not in logged and "91500105MA5U00011E" not in logged and "shoe_size" not in logged


def test_an_upload_is_read_once_its_run_screens_what_the_check_read(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upload check reads the whole workbook; the run must not parse it a second time (it did:
    two calamine parses of every 20,000-row upload)."""
    from engine.batch import tabular

    reads: list[Path] = []
    original = tabular.isolated_chunks  # the service reads a workbook in a limited child (engine.batch.isolated)

    def counted(read: object, path: Path, *args: object) -> object:
        reads.append(path)
        return original(read, path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(tabular, "isolated_chunks", counted)
    frame = pd.read_csv(io.StringIO(CSV), dtype=str).fillna("")
    r = upload(client, workbook(frame.to_dict("records")), name="batch.xlsx")
    assert r.status_code == 202, r.text
    status = client.get(f"/v1/screens/{r.json()['id']}", headers=AUTH).json()
    assert status["status"] == "done" and status["summary"]["rows"] == 4
    assert len(reads) == 1
