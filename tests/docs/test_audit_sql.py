"""docs/audit.md shows the exact query ``eventgen audit`` sends to BigQuery."""

from __future__ import annotations

import re
from pathlib import Path

from eventgen.audit.bigquery import audit_query

PAGE = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def test_the_documented_query_is_the_one_sent() -> None:
    (shown,) = re.findall(r"```sql\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)
    assert shown.strip() == audit_query("PROJECT.ecommerce_dw.raw_events")
