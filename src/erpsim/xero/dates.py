"""Xero's date formats: `/Date(ms+0000)/` timestamps, `YYYY-MM-DD` document dates, If-Modified-Since.

Xero writes timestamps (`UpdatedDateUTC`, envelope `DateTimeUTC`) and document dates (`Date`,
`DueDate`, ...) in the Microsoft JSON form `/Date(1552348800000+0000)/` (milliseconds since the
epoch, optional `+HHMM` offset), and adds ISO text companions such as `DateString`
(`2019-03-12T00:00:00`, no offset) and `UpdatedDateUTCString` (xero.md §Change detection, §Dates in JSON).
Clients send document dates as `YYYY-MM-DD` (a `/Date()/` or ISO datetime is accepted too), and
`If-Modified-Since` as ISO-8601 (the spec's example carries milliseconds and an offset).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def ms_date(when: datetime | date, *, offset: bool = True) -> str:
    """`/Date(ms+0000)/` for an aware datetime or a calendar date (midnight UTC)."""
    moment = when if isinstance(when, datetime) else datetime.combine(when, time(), UTC)
    millis = int(moment.astimezone(UTC).timestamp() * 1000)
    return f"/Date({millis}+0000)/" if offset else f"/Date({millis})/"


def date_string(day: date) -> str:
    """The `DateString` companion of a document date: ISO text without offset."""
    return f"{day.isoformat()}T00:00:00"


def utc_string(when: datetime) -> str:
    """The `UpdatedDateUTCString` companion: ISO text in UTC with milliseconds, no offset."""
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")


def parse_ms_date(text: str) -> datetime | None:
    """Parse `/Date(ms)/` or `/Date(ms+HHMM)/` to an aware UTC datetime, None if not that form."""
    match = _MS_DATE.match(text.strip())
    if not match:
        return None
    moment = datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
    return moment


def parse_document_date(value: object) -> date | None:
    """A document date sent by a client: `YYYY-MM-DD`, ISO datetime or `/Date()/`; None if invalid."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    parsed = parse_ms_date(text)
    if parsed is not None:
        return parsed.date()
    try:
        return datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text)
    except ValueError:
        return None


def parse_if_modified_since(text: str) -> datetime | None:
    """If-Modified-Since as ISO-8601 (naive = UTC) or, leniently, an RFC 1123 HTTP date."""
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def days_after(day: date, days: int) -> date:
    return day + timedelta(days=days)
