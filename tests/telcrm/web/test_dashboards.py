"""Dashboards and the value x risk matrix on small hand-made marts (exact figures).

The operator: four customers over January and February 2026. C3 closes on
10 February. Revenue is postpaid bills of the month plus top-ups paid in it; the
prepaid account's statement bill (999) and the bill payment are not revenue.

month    customers  revenue                      opening  churned
2026-01  4          100 + 30 + 50 + 80 = 260     -        -
2026-02  3          120 + 40 + 90 = 250          4        1 (C3)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.test import Client, override_settings
from django.utils import timezone
from tests.telcrm.factories import CustomerFactory, UserFactory, logged_in

from telcrm.analytics.choices import RunState
from telcrm.analytics.models import PipelineRun
from telcrm.users.choices import Role
from telcrm.web.dashboards.queries import KpiRow, Marts, UnknownDimension

JAN = dt.date(2026, 1, 1)
FEB = dt.date(2026, 2, 1)
LOBS = ("mobile_postpaid", "mobile_prepaid", "broadband", "fixed_line", "vas")


def write(directory: Path, name: str, rows: list[dict[str, Any]]) -> None:
    path = directory / f"{name}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def feature_row(
    customer: str, month: dt.date, channel: str, *lobs: str
) -> dict[str, Any]:
    lines = {f"{lob}_lines": int(lob in lobs) for lob in LOBS}
    return {"customer": customer, "month": month, "channel": channel, **lines}


def write_marts(directory: Path) -> Path:
    holdings = {
        "C1": ("app", ["mobile_postpaid"]),
        "C2": ("web", ["mobile_prepaid"]),
        "C3": ("app", ["mobile_postpaid"]),
        "C4": ("web", ["broadband", "mobile_postpaid"]),
    }
    write(
        directory,
        "customer_month_features",
        [
            feature_row(customer, month, channel, *lobs)
            for month, present in ((JAN, "C1 C2 C3 C4"), (FEB, "C1 C2 C4"))
            for customer in present.split()
            for channel, lobs in [holdings[customer]]
        ],
    )
    place = [
        ("C1", "浙江省", "杭州市", "active", None),
        ("C2", "浙江省", "宁波市", "active", None),
        ("C3", "江苏省", "南京市", "closed", dt.date(2026, 2, 10)),
        ("C4", "江苏省", "南京市", "active", None),
    ]
    write(
        directory,
        "input/customers",
        [
            {"customer": c, "province": p, "city": city, "status": s, "status_date": d}
            for c, p, city, s, d in place
        ],
    )
    write(
        directory,
        "input/accounts",
        [
            {"account": "A1", "customer": "C1", "pay_method": "bank_debit"},
            {"account": "A2", "customer": "C2", "pay_method": "prepaid"},
            {"account": "A3", "customer": "C3", "pay_method": "cash"},
            {"account": "A4", "customer": "C4", "pay_method": "wechat"},
        ],
    )
    bills = [
        ("A1", "C1", JAN, 100.0), ("A1", "C1", FEB, 120.0), ("A2", "C2", JAN, 999.0),
        ("A3", "C3", JAN, 50.0), ("A4", "C4", JAN, 80.0), ("A4", "C4", FEB, 90.0),
    ]  # fmt: skip
    write(
        directory,
        "input/bills",
        [
            {"account": a, "customer": c, "period": p, "amount": amount}
            for a, c, p, amount in bills
        ],
    )
    payments = [
        ("C2", None, dt.datetime(2026, 1, 15, 10), 30.0),
        ("C2", None, dt.datetime(2026, 2, 3, 9), 40.0),
        ("C1", "B1", dt.datetime(2026, 1, 20, 8), 100.0),
    ]
    write(
        directory,
        "input/payments",
        [
            {"customer": c, "bill_no": b, "paid_at": at, "amount": amount}
            for c, b, at, amount in payments
        ],
    )
    scored = [
        ("C1", "high", "low", "maintain", 0.05, 90.0),
        ("C2", "low", "high", "let_go", 0.7, 10.0),
        ("C4", "high", "low", "maintain", 0.1, 85.0),
    ]
    write(
        directory,
        "customer_results",
        [
            {"customer": c, "value_band": v, "risk_band": r, "segment_code": s,
             "churn_probability": p, "value_score": score}
            for c, v, r, s, p, score in scored
        ],
    )  # fmt: skip
    write(
        directory,
        "customer_value",
        [
            {"customer": "C1", "revenue": 1000.0},
            {"customer": "C2", "revenue": 300.0},
            {"customer": "C4", "revenue": 800.0},
        ],
    )
    write(
        directory,
        "customer_clv",
        [
            {"customer": "C1", "clv": 2000.0},
            {"customer": "C2", "clv": 500.0},
            {"customer": "C4", "clv": 1500.0},
        ],
    )
    return directory


@pytest.fixture
def marts(tmp_path: Path) -> Marts:
    return Marts(write_marts(tmp_path / "marts" / "run-00001"))


# Queries ------------------------------------------------------------------------


def test_monthly_kpis_are_exact(marts: Marts) -> None:
    jan, feb = marts.kpis()

    assert jan == KpiRow(JAN, None, 4, 260.0, None, None)
    assert jan.arpu == 65.0
    assert jan.churn_rate is None
    assert feb == KpiRow(FEB, None, 3, 250.0, 4, 1)
    assert feb.arpu == pytest.approx(250.0 / 3)
    assert feb.churn_rate == 0.25
    assert feb.retention_rate == 0.75


def test_kpis_by_province_and_city_drill_down(marts: Marts) -> None:
    by_province = marts.kpis(by="province", filters={"month": "2026-02"})
    by_city = marts.kpis(by="city", filters={"province": "江苏省", "month": "2026-02"})

    assert by_province == [
        KpiRow(FEB, "江苏省", 1, 90.0, 2, 1),
        KpiRow(FEB, "浙江省", 2, 160.0, 2, 0),
    ]
    assert by_city == [KpiRow(FEB, "南京市", 1, 90.0, 2, 1)]


def test_kpis_by_product_count_a_customer_under_each_business(marts: Marts) -> None:
    rows = marts.kpis(by="product", filters={"month": "2026-02"})

    assert [(r.key, r.customers, r.revenue, r.opening_customers) for r in rows] == [
        ("broadband", 1, 90.0, 1),
        ("mobile_postpaid", 2, 210.0, 3),
        ("mobile_prepaid", 1, 40.0, 1),
    ]


def test_kpis_by_segment_and_channel(marts: Marts) -> None:
    segments = marts.kpis(by="segment", filters={"month": "2026-01"})
    web = marts.kpis(filters={"channel": "web"})

    assert [(r.key, r.customers, r.revenue) for r in segments] == [
        ("let_go", 1, 30.0),
        ("maintain", 2, 180.0),
        ("unscored", 1, 50.0),
    ]
    assert web == [
        KpiRow(JAN, None, 2, 110.0, None, None),
        KpiRow(FEB, None, 2, 130.0, 2, 0),
    ]


def test_mean_clv_of_the_slice(marts: Marts) -> None:
    assert marts.clv_summary().customers == 3
    assert marts.clv_summary().mean_clv == pytest.approx(4000.0 / 3)
    assert marts.clv_summary({"province": "浙江省"}).mean_clv == 1250.0


def test_the_matrix_counts_customers_and_revenue_per_cell(marts: Marts) -> None:
    cells = {
        (c.value_band, c.risk_band): (c.customers, c.revenue) for c in marts.matrix()
    }

    assert len(cells) == 9
    assert cells[("high", "low")] == (2, 1800.0)
    assert cells[("low", "high")] == (1, 300.0)
    assert sum(count for count, _ in cells.values()) == 3
    app = marts.matrix({"channel": "app"})
    assert [(c.value_band, c.risk_band, c.customers) for c in app if c.customers] == [
        ("high", "low", 1)
    ]


def test_dimension_values_and_unknown_dimensions(marts: Marts) -> None:
    assert marts.dimension_values("city", {"province": "浙江省"}) == [
        "宁波市",
        "杭州市",
    ]
    assert marts.dimension_values("month") == ["2026-01-01", "2026-02-01"]
    with pytest.raises(UnknownDimension):
        marts.kpis(by="province; DROP TABLE x")
    with pytest.raises(UnknownDimension):
        marts.kpis(filters={"1=1 OR city": "x"})


# Pages --------------------------------------------------------------------------


@pytest.fixture
def run(tmp_path: Path) -> Any:
    marts_dir = write_marts(tmp_path / "marts" / "run-00001")
    now = timezone.now()
    with override_settings(TELCRM_HOME=tmp_path):
        yield PipelineRun.objects.create(
            started_at=now,
            finished_at=now,
            state=RunState.COMPLETED,
            as_of=dt.date(2026, 2, 28),
            started_by="test",
            marts=str(marts_dir),
        )


@pytest.mark.django_db
def test_the_dashboard_shows_the_latest_month(run: PipelineRun) -> None:
    client, _ = logged_in(Role.MARKETER)

    page = client.get("/dashboards/", {"by": "province"}).content.decode()

    assert '<strong id="kpi-customers">3</strong>' in page
    assert '<strong id="kpi-revenue">250.00</strong>' in page
    assert '<strong id="kpi-arpu">83.33</strong>' in page
    assert '<strong id="kpi-churn">25.00 %</strong>' in page
    assert '<strong id="kpi-retention">75.00 %</strong>' in page
    assert '<strong id="kpi-clv">1333.33</strong>' in page
    assert 'id="trend-data"' in page
    assert '"revenue": [260.0, 250.0]' in page
    assert "<script>" not in page  # data only; the charts come from dashboards.js
    assert "web/vendor/echarts-5.6.0/echarts.min.js" in page
    assert "web/dashboards.js" in page


@pytest.mark.django_db
def test_htmx_gets_the_body_and_the_slicer_its_values(run: PipelineRun) -> None:
    client, _ = logged_in(Role.ANALYST)

    body = client.get(
        "/dashboards/", {"by": "city", "province": "浙江省"}, HTTP_HX_REQUEST="true"
    )
    values = client.get(
        "/dashboards/values/", {"dimension": "city", "province": "江苏省"}
    )

    assert body.content.decode().startswith('\n<div id="dashboard-body">')
    # The values land inside their holder and stay out of the address bar (the
    # slicer form's outerHTML swap and pushed URL are inherited otherwise), and are
    # those within the applied filters only.
    assert (
        'hx-target="#filter-values" hx-swap="innerHTML" hx-push-url="false"\n'
        '                hx-include="#slicer-filters">'
    ) in body.content.decode()
    assert "{#" not in body.content.decode() and "#}" not in body.content.decode()
    assert '<strong id="kpi-customers">2</strong>' in body.content.decode()
    assert values.content.decode().count("<option") == 1
    assert 'value="南京市"' in values.content.decode()


@pytest.mark.django_db
def test_an_injected_dimension_is_refused(run: PipelineRun) -> None:
    client, _ = logged_in(Role.ANALYST)

    assert client.get("/dashboards/", {"by": "city) OR 1=1 --"}).status_code == 400
    assert client.get("/dashboards/values/", {"dimension": "x;"}).status_code == 400
    assert client.get("/dashboards/", {"month": "2026-13"}).status_code == 400


@pytest.mark.django_db
def test_the_matrix_shows_counts_revenue_and_treatments(run: PipelineRun) -> None:
    client, user = logged_in(Role.MARKETER)
    user.language = "en"
    user.save()

    page = client.get("/dashboards/matrix/").content.decode()

    assert page.count("<tr data-cell=") == 9
    assert (
        '<td><a href="/dashboards/matrix/high/low/">' not in page
    )  # marketers see no customers, so no link
    assert "<td>Loyal key customers</td>\n      <td>2</td><td>1800.00</td>" in page
    assert "Low-cost retention (SMS or app offer" in page


@pytest.mark.django_db
def test_the_cell_list_is_scoped_and_closed_to_aggregate_roles(
    run: PipelineRun,
) -> None:
    manager, me = logged_in(Role.ACCOUNT_MANAGER)
    other = UserFactory(role=Role.ACCOUNT_MANAGER)
    CustomerFactory(customer_number="C1", account_manager=me)
    CustomerFactory(customer_number="C4", account_manager=other)
    admin, _ = logged_in(Role.ADMINISTRATOR)
    marketer, _ = logged_in(Role.MARKETER)

    mine = manager.get("/dashboards/matrix/high/low/").content.decode()
    every = admin.get("/dashboards/matrix/high/low/").content.decode()

    assert ">C1</a></td>" in mine
    assert ">C4</a></td>" not in mine
    assert ">C1</a></td>" in every and ">C4</a></td>" in every
    assert 'href="/customers/C1/"' in mine
    assert marketer.get("/dashboards/matrix/high/low/").status_code == 403
    assert marketer.get("/dashboards/matrix/").status_code == 200
    assert admin.get("/dashboards/matrix/huge/low/").status_code == 404


@pytest.mark.django_db
def test_roles_without_dashboards_are_refused(run: PipelineRun) -> None:
    client, _ = logged_in(Role.AGENT)

    assert client.get("/dashboards/").status_code == 403


@pytest.mark.django_db
def test_no_run_yet_is_a_page_that_says_so() -> None:
    client, _ = logged_in(Role.AUDITOR)

    response = client.get("/dashboards/")

    assert response.status_code == 200
    assert 'id="no-run"' in response.content.decode()
    assert client.get("/dashboards/matrix/").status_code == 200


# The user's language ----------------------------------------------------------------


def in_language(language: str, role: str = Role.ADMINISTRATOR) -> Client:
    return logged_in(role, language=language)[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "labels"),
    [
        ("zh-hans", ["省份", "城市", "客户细分", "业务类型", "发展渠道", "月份"]),
        (
            "en",
            ["Province", "City", "Segment", "Line of business",
             "Acquisition channel", "Month"],
        ),
    ],
)  # fmt: skip
def test_the_dimensions_have_labels_and_keep_their_names_in_urls(
    run: PipelineRun, language: str, labels: list[str]
) -> None:
    page = in_language(language).get("/dashboards/", {"by": "province"})
    html = page.content.decode()

    names = ("province", "city", "segment", "product", "channel", "month")
    options = [f'<option value="{n}">{label}</option>' for n, label in zip(
        names, labels, strict=True
    )]  # fmt: skip
    options[0] = f'<option value="province" selected>{labels[0]}</option>'
    for option in options:
        assert option in html, option
    by = "按省份" if language == "zh-hans" else "By Province"
    assert f"<h2>{by}</h2>" in html
    assert f"<th>{labels[0]}</th>" in html
    assert ">province<" not in html
    assert "<th>province</th>" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", {"product": ["移动后付费", "移动预付费", "宽带"],
                     "channel": ["手机 App", "网上营业厅"],
                     "segment": ["高价值低风险", "低价值高风险", "未评分"]}),
        ("en", {"product": ["Mobile postpaid", "Mobile prepaid", "Broadband"],
                "channel": ["App", "Web"],
                "segment": ["Loyal key customers", "Low-value customers at risk",
                            "Not scored"]}),
    ],
)  # fmt: skip
def test_product_channel_and_segment_values_are_labelled(
    run: PipelineRun, language: str, expected: dict[str, list[str]]
) -> None:
    client = in_language(language)
    raw = {
        "product": ["mobile_postpaid", "mobile_prepaid", "broadband"],
        "channel": ["app", "web"],
        "segment": ["maintain", "let_go", "unscored"],
    }

    for dimension, labels in expected.items():
        # January: C3, not scored, is still a customer.
        html = client.get(
            "/dashboards/", {"by": dimension, "month": "2026-01-01"}
        ).content.decode()
        values = client.get(
            "/dashboards/values/", {"dimension": dimension}
        ).content.decode()
        for code, label in zip(raw[dimension], labels, strict=True):
            assert f'hx-push-url="true">{label}</a></td>' in html, label
            assert f">{code}<" not in html
            assert f"{dimension}={code}" in html  # the links keep the code
            if code != "unscored":
                assert f'<option value="{code}">{label}</option>' in values, label


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "chip"), [("zh-hans", "省份: 浙江省"), ("en", "Province: 浙江省")]
)
def test_a_filter_chip_names_its_dimension(
    run: PipelineRun, language: str, chip: str
) -> None:
    html = (
        in_language(language)
        .get("/dashboards/", {"by": "city", "province": "浙江省"})
        .content.decode()
    )

    assert f">{chip} ✕</a>" in html
    assert "province: " not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "high", "low", "segment"),
    [
        ("zh-hans", "高", "低", "高价值低风险"),
        ("en", "high", "low", "Loyal key customers"),
    ],
)
def test_the_matrix_table_labels_its_bands(
    run: PipelineRun, language: str, high: str, low: str, segment: str
) -> None:
    html = in_language(language).get("/dashboards/matrix/").content.decode()

    assert (
        f'<tr data-cell="high-low">\n      <td>{high}</td><td>{low}</td>\n'
        f'      <td><a href="/dashboards/matrix/high/low/">{segment}</a></td>'
    ) in html
    if language == "zh-hans":
        assert "<td>high</td>" not in html
        assert "<td>low</td>" not in html
        assert "<td>medium</td>" not in html
