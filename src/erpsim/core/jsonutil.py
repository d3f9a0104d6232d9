"""JSON for simulators: Decimal money rendered as JSON numbers, request bodies parsed to Decimal.

ERP APIs send amounts as JSON numbers (QBO `"TotalAmt": 200.0`); the simulators keep them as
Decimal internally. `dumps` renders Decimal as a number (through float, exact for currency amounts
of up to 15 significant digits), dates and datetimes as ISO text. `loads` parses every
non-integer number to Decimal so nothing is lost on the way in.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from starlette.responses import JSONResponse


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(data: Any) -> bytes:
    return json.dumps(data, default=_default, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(raw: bytes | str) -> Any:
    return json.loads(raw, parse_float=Decimal)


class SimJSONResponse(JSONResponse):
    """JSONResponse that renders Decimal, date and datetime."""

    def render(self, content: Any) -> bytes:
        return dumps(content)
