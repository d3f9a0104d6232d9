"""Sync logs as a CSV file, for every interface that offers the download (the API's
`GET /api/v1/erp/sync-logs.csv`, the web UI's log viewer): every log a `LogFilter` matches, newest
first, one row each with the columns of the list's items (per-record errors are counted in
`error_count`; read them in the log's detail). `open_csv` reads the first page before it returns, so
an unknown connection or a bad cursor is raised to the caller before any byte is sent; the rest is
read page by page as the file is sent, so 100,000 logs never sit in memory. Text cells starting with
`=`, `+`, `-`, `@` (an ERP's error message can) are prefixed with `'` so a spreadsheet shows them
rather than running them as formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from smartap_erp.app import logs
from smartap_erp.app.context import AppContext
from smartap_erp.app.logs import LogFilter, LogPage
from smartap_erp.app.models import SyncLogSummary

CSV_PAGE = 1000  # logs read per query while the CSV streams
CSV_COLUMNS = tuple(SyncLogSummary.model_fields)  # the list items' columns, record errors aside
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


async def open_csv(ctx: AppContext, query: LogFilter) -> AsyncIterator[str]:
    """The CSV text of every log `query` matches (its paging fields ignored), in chunks."""
    where = query.model_copy(update={"limit": CSV_PAGE, "offset": None, "cursor": None})
    first = await logs.list_logs(ctx, where)  # a refusal is raised here, before the download starts
    return _chunks(ctx, where, first)


async def _chunks(ctx: AppContext, where: LogFilter, page: LogPage) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180
    writer.writerow(CSV_COLUMNS)
    while True:
        for item in page.items:
            row = item.model_dump(mode="json")
            writer.writerow([cell(row[column]) for column in CSV_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if page.next_cursor is None:
            return
        page = await logs.list_logs(ctx, where.model_copy(update={"cursor": page.next_cursor}))


def cell(value: object) -> object:
    """A value as its CSV cell: None empty, a formula-like text quoted with `'`."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value
