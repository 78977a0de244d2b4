"""End to end in a real browser: `ipcheck serve`'s app on loopback, Debian's headless Chromium via Playwright.

CI installs the browser with `apt-get install -y chromium`; without /usr/bin/chromium this test skips.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.oneshot import UVICORN_HTTP

CHROMIUM = Path(os.environ.get("IPCHECK_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)"
)
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (pip install playwright)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('db') / 'runs.sqlite3'}",
        "IPCHECK_OFFICER_TOKENS": "officer:browser-test-token",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:app_from_env",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--http",
            UVICORN_HTTP,  # as `ipcheck serve` runs it: every page, upload and download through it
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # a busy CI machine starts slowly
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the server did not start")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def test_fill_the_form_and_read_the_decision(server: str, browser: object, tmp_path: Path) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(15_000)
    page.goto(server + "/form")
    assert page.locator("h1").inner_text() == "知识产权政策自评"
    page.fill("#f-as_of", "2025-06-30")
    page.fill("#f-name", "浏览器测试公司（示例）")
    page.fill("#f-registration_date", "2024-03-01")
    page.fill("#f-division_code", "500105")
    page.fill("#f-industry_code", "M7520")
    page.select_option("#f-serious_dishonesty_list", "false")
    page.select_option("#f-ip_penalty_free", "true")
    page.fill("#f-employees", "12")
    page.click("#submit")
    badge = page.locator('[data-decision="jb_new_ip_service_firm"]')
    assert badge.inner_text() == "符合"
    assert "江北府办发〔2023〕6号" in page.locator("#d-jb_new_ip_service_firm .citation").inner_text()
    chart = page.locator("#ip-strength-chart svg")  # the IP-strength radar chart, drawn on the page
    assert chart.count() == 1 and chart.bounding_box()["width"] > 100
    assert "创造" in chart.inner_html() and "管理" in chart.inner_html()
    page.screenshot(path=str(tmp_path / "result.png"), full_page=True)

    page.click("nav .lang-form button")  # the same answers, in English
    assert page.locator('[data-decision="jb_new_ip_service_firm"]').inner_text() == "Eligible"

    page.goto(server + "/form?lang=en")
    page.fill("#f-registration_date", "2015-06-18")
    page.click("#submit")
    assert page.locator('[data-decision="jb_new_ip_service_firm"]').inner_text() == "Not yet"
    assert "Would take" in page.locator("#d-jb_new_ip_service_firm").inner_text()
    page.close()


def test_officer_uploads_a_batch_and_downloads_the_result(server: str, browser: object, tmp_path: Path) -> None:
    table = tmp_path / "batch.csv"
    table.write_text(
        "企业名称,成立日期,注册地行政区划代码,国民经济行业代码,列入严重失信主体名单\n"
        "甲（示例）,2024-03-01,500105,M7520,否\n乙（示例）,2015-06-18,500105,C3484,\n",
        encoding="utf-8",
    )
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(15_000)
    page.goto(server + "/officer")
    page.fill("#token", "browser-test-token")
    page.set_input_files("#file", str(table))
    page.fill("#as_of", "2025-06-30")
    page.click("#upload button[type=submit]")
    link = page.locator("#download")
    link.wait_for()
    assert "已完成" in page.locator("#run").inner_text()
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "result.xlsx"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"PK")

    page.reload()  # coming back later: the run is listed and can be opened again
    page.fill("#token", "browser-test-token")
    page.click("#recent")
    page.locator("#runs button").first.click()
    page.locator("#download").wait_for()
    page.close()


# What the firm in the interview test says; to every other count or yes/no it answers 0 / 没有.
INTERVIEW_ANSWERS = {
    "credit_code": "91500105MA5U00011E",
    "name": "重庆示例机械制造有限公司（示例）",
    "division_code": "江北区",
    "industry_code": "C34",
    "employees": "86",
    "revenue": "5200",
    "legal_person": "true",
    "ip_penalty_free": "true",
    "ip_insurance_premium": "12",
    "madrid_registrations": "3",  # Madrid marks: a measure with a stated amount, so the result shows money
    "madrid_registrations_new": "2",
    "registration_date": "2012-05-08",
}


def answer_step(page: object) -> None:
    filled = False
    for name, value in INTERVIEW_ANSWERS.items():
        if page.locator(f"#f-{name}").count():  # type: ignore[attr-defined]
            page.fill(f"#f-{name}", value)  # type: ignore[attr-defined]
            filled = True
    for radio in page.locator("input[type=radio][value=false]").all():  # type: ignore[attr-defined]
        name = radio.get_attribute("name")
        radio.check() if name not in INTERVIEW_ANSWERS else page.check(  # type: ignore[attr-defined]
            f'input[type=radio][name="{name}"][value="{INTERVIEW_ANSWERS[name]}"]'
        )
    for zero in page.locator("input[type=checkbox][name$='.zero']").all():  # type: ignore[attr-defined]
        if zero.get_attribute("name").removesuffix(".zero") not in INTERVIEW_ANSWERS:
            zero.check()
    page.click("#none" if page.locator("#none").count() and not filled else "#next")  # type: ignore[attr-defined]


def test_interview_from_the_credit_code_to_the_result_on_a_phone(server: str, browser: object, tmp_path: Path) -> None:
    """A 390 px wide phone: each step fits the width; the result opens with counts and the amount.
    (About 30 steps, each a round trip: the test takes longer than most, as the issue's end-to-end check.)"""
    page = browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    page.set_default_timeout(30_000)
    page.goto(server + "/")
    page.fill("#f-credit_code", "91500105MA5U00011")  # checked as typed: one character short, then complete
    assert "17/18" in page.locator("#credit-code-check").inner_text()
    page.locator("#f-credit_code").press("E")
    assert "有效" in page.locator("#credit-code-check").inner_text()
    for step in range(40):
        page.wait_for_load_state()  # the step's form post has navigated: measure the new page
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"step {step} overflows"
        if page.locator("#summary").count():
            break
        assert "已确定" in page.locator("#progress").inner_text()
        answer_step(page)
    page.wait_for_load_state()
    summary = page.locator("#summary-eligible").inner_text()
    # the amount the documents state (two Madrid registrations); 按规定 support is never summed as money
    assert re.search(r"符合 \d+ 项，预计可获 [\d,.]+ 万元", summary), summary
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "result.png"), full_page=True)
    page.close()


def test_officer_sets_a_quota_by_chinese_name_and_downloads_the_template(
    server: str, browser: object, tmp_path: Path
) -> None:
    import pandas as pd

    table = tmp_path / "batch.csv"
    table.write_text(
        "企业名称,成立日期,注册地行政区划代码,国民经济行业代码,列入严重失信主体名单,从未受知识产权侵权处罚,从业人员数（人）\n"
        "甲（示例）,2024-03-01,500105,M7520,否,是,12\n丙（示例）,2024-05-01,500105,M7520,否,是,8\n",
        encoding="utf-8",
    )
    page = browser.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(20_000)
    page.goto(server + "/officer")
    assert "IPCHECK_OFFICER_TOKENS" in page.locator("details").text_content()  # how tokens are issued
    assert "天后自动删除" in page.locator("footer").inner_text()  # what is kept, how long
    with page.expect_download() as download:
        page.click("#template")
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    assert pd.read_excel(template, engine="calamine", sheet_name=None).keys() == {"申报信息", "填写说明"}

    page.fill("#token", "browser-test-token")
    page.set_input_files("#file", str(table))
    page.fill("#as_of", "2025-06-30")
    page.select_option(".allocation select", label="新设立知识产权服务企业支持")
    page.fill(".allocation [name=quota]", "1")
    page.click("#upload button[type=submit]")
    page.locator("#download").wait_for()
    text = page.locator("#run").inner_text()
    assert "新设立知识产权服务企业支持" in text and "1 / 候补 1" in text  # one funded, one waiting
    bars = page.locator("#run figure.bars")
    assert "新设立知识产权服务企业支持" in bars.inner_text()  # the chart names measures in Chinese
    page.set_viewport_size({"width": 390, "height": 844})  # on a phone its names keep a readable size
    assert bars.locator(".name").first.evaluate("n => parseFloat(getComputedStyle(n).fontSize)") >= 12
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#file-name").inner_text() == "batch.csv"  # the Chinese file button shows the choice
    with page.expect_download() as result:
        page.click("#download")
    saved = tmp_path / "result.xlsx"
    result.value.save_as(saved)
    sheet = pd.read_excel(saved, engine="calamine", sheet_name="新设立知识产权服务企业支持", header=1)
    assert sheet["支持情况"].tolist() == ["拟支持", "候补"] and sheet["排名"].tolist() == [1, 2]
    page.close()


def test_no_page_breaks_the_content_security_policy(server: str, browser: object, tmp_path: Path) -> None:
    """Every page under the service's CSP (api/security.py) at phone and desktop width: no violation in the
    console, the scripts still run (the credit code is checked as typed, the officer page charts), the
    resume link opens its panel without the inline handler it used to have."""
    for width in (1280, 390):
        page = browser.new_page(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
        page.set_default_timeout(15_000)
        problems: list[str] = []
        page.on("console", lambda m, found=problems: found.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e, found=problems: found.append(str(e)))
        failed: list[str] = []  # the browser's own favicon probe aside, every resource loads
        page.on(
            "response", lambda r, bad=failed: bad.append(r.url) if r.status >= 400 and "favicon" not in r.url else None
        )
        for path in ("/", "/form", "/policies", "/officer", "/api", "/?lang=en"):
            response = page.goto(server + path)
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
            page.wait_for_load_state("networkidle")
        page.goto(server + "/")
        page.fill("#f-credit_code", "91500105MA5U0001")
        assert "16/18" in page.locator("#credit-code-check").inner_text()  # interview.js runs under the CSP
        page.click("a[data-opens=resume]")
        assert page.locator("#resume").get_attribute("open") is not None
        page.goto(server + "/form")
        page.fill("#f-as_of", "2025-06-30")
        page.fill("#f-registration_date", "2024-03-01")
        page.click("#submit")
        page.wait_for_load_state("networkidle")
        assert page.locator("#ip-strength-chart svg").count() == 1
        page.screenshot(path=str(tmp_path / f"result-{width}.png"), full_page=True)
        assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
        assert not [p for p in problems if not p.startswith("Failed to load resource")], problems
        assert not failed, failed
        page.close()
