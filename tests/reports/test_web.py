"""The report and record book pages over the seeded cases, through the HTTP test client."""

from __future__ import annotations

import io
import zipfile

import pytest
from litestar.testing import AsyncTestClient

from estateflow.services import Services, hash_password
from estateflow.store import open_store
from estateflow.web import Settings, create_app
from tests.reports.conftest import seed
from tests.scenarios.conftest import THU_0924_1000
from tests.services.conftest import STAFF, SUNSHINE, FakeClock
from tests.web.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(tmp_path):
    store = await open_store(f"sqlite:///{tmp_path / 'web.sqlite3'}")
    services = Services(store, clock=FakeClock(THU_0924_1000))
    await services.publish_estate(SUNSHINE)
    password = hash_password(PASSWORD)
    for username, roles in STAFF.items():
        await services.add_user(username, username, password if username == "kflee" else "")
        await services.grant(username, "sunshine", list(roles))
    await seed(services, services.clock)
    app = create_app(services, settings=Settings(files=tmp_path / "files"))
    try:
        async with AsyncTestClient(app=app) as client:
            await sign_in(client, "kflee")
            yield client
    finally:
        await store.close()


async def test_reports_page_books_and_downloads(client):
    page = await client.get("/e/sunshine/reports?from=2026-09&to=2026-09")
    assert page.status_code == 200
    html = page.text
    assert "<script>" not in html.split("</head>", 1)[1]
    assert html.count("<svg") >= 5
    assert "75.0%" in html and "≥ 100%" in html  # client callbacks against 100%
    assert "94.8%" in html and "≥ 95%" in html  # satisfaction against 95%
    assert "≥ 70%" in html
    assert "級別：一般" in html and "來源：客戶" in html
    csv_file = await client.get("/e/sunshine/reports?from=2026-09&to=2026-09&table=sla&format=csv")
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert csv_file.content.startswith(b"\xef\xbb\xbf")
    text = csv_file.content.decode("utf-8-sig")
    # Headings and words in the reader's language (zh-Hant here), figures as computed.
    assert text.splitlines()[0] == "程序,步驟,期限,期限數,按時,已預警,超時,未到期,達標率"
    assert "回訪客戶,全部,4,3,3,1,0,75.0%" in text
    assert "<h1>報表</h1>" in html and "KPIs against" not in html
    xlsx = await client.get("/e/sunshine/reports?from=2026-09&to=2026-09&table=kpis&format=xlsx")
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as archive:
        assert "94.8%" in archive.read("xl/worksheets/sheet1.xml").decode()
    printable = await client.get("/e/sunshine/reports?from=2026-09&to=2026-09&print=1")
    assert 'class="reports printing"' in printable.text
    books = await client.get("/e/sunshine/books")
    assert "投訴處理記錄表" in books.text and "訪客登記表" in books.text
    book = await client.get("/e/sunshine/books/complaint")
    assert "TS-2026-000001" in book.text and "TS-2026-000002" in book.text
    assert "<th>編號</th><th>開立時間</th><th>狀態</th><th>結果</th>" in book.text
    closed = await client.get("/e/sunshine/books/complaint?status=closed&print=1")
    assert "TS-2026-000002" not in closed.text and "審核人簽名" in closed.text
    fragment = await client.get(
        "/e/sunshine/books/complaint?status=open",
        headers={"HX-Request": "true", "HX-Target": "book-rows"},
    )
    assert fragment.text.lstrip().startswith('<div id="book-rows">')
    assert "TS-2026-000002" in fragment.text and "TS-2026-000001" not in fragment.text
    export = await client.get("/e/sunshine/books/visitor?format=csv")
    assert "李大文" in export.content.decode("utf-8-sig")
    missing = await client.get("/e/sunshine/books/nothing")
    assert missing.status_code == 404
    other = await client.get("/e/tower/reports")
    assert other.status_code == 404
