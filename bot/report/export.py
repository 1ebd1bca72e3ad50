"""The records (contract v3, from `bot/store/export.py`) written out as JSON or CSV text, in chunks.

For `msp export` and the workspace's download: the store fetches the records
in batches, this writes each batch's text as it comes, so memory stays flat.
In CSV, a cell that a spreadsheet would run as a formula gets a ' in front
(OWASP's advice); JSON keeps every word as given.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any, Dict, Iterable, Iterator, List, Optional

from bot import constants as c
from bot.store.export import ANSWER_FIELDS, DEFAULT_BATCH, iter_records

# A chunk is handed on once it holds about this many characters.
CHUNK_CHARS = 64 * 1024


# json's own string encoder (its C version when there is one), as json.dumps(ensure_ascii=False) uses it.
_encode_str = json.encoder.encode_basestring


def _json(value: Any, indent: str) -> str:
    """The text `json.dumps(value, indent=2, ensure_ascii=False)` gives at this depth, several times quicker.

    json falls back to its pure-Python encoder whenever `indent` is set; the
    record is small and regular (dicts, lists, strings, ints, booleans, null),
    so this writes the same layout directly. tests/store/test_export.py checks
    it character for character against json.dumps.
    """
    if isinstance(value, str):
        return str(_encode_str(value))
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{_encode_str(str(k))}: {_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + _json(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False)  # a float, or anything else json knows


def stream_json(
    enquiry_ref: Optional[str] = None,
    since: Optional[datetime] = None,
    until: Optional[datetime] = None,
    batch: int = DEFAULT_BATCH,
) -> Iterator[str]:
    """A JSON array of the records, in chunks: the same text as `json.dump(list, indent=2)` and a newline."""
    return json_chunks(iter_records(enquiry_ref, since, until, batch))


def json_chunks(records_: Iterable[Dict[str, Any]]) -> Iterator[str]:
    """These records as `stream_json` writes them (for records that were added to, like a subject access)."""
    buffer: List[str] = []
    size = 0
    first = True
    for record in records_:
        text = "  " + _json(record, "  ")
        buffer.append(("[\n" if first else ",\n") + text)
        first = False
        size += len(text)
        if size >= CHUNK_CHARS:
            yield "".join(buffer)
            buffer, size = [], 0
    buffer.append("[]\n" if first else "\n]\n")
    yield "".join(buffer)


CSV_FIELDS = [
    "conversation_id", "enquiry_ref", "stage", "status", "speaker_role",
    "asked_about_outcomes", "confirmed", "started_at", "updated_at",
    *(f"flag_{f}" for f in c.FLAGS if f != c.FLAG_ADVOCACY_NEEDED),
    *(f"feedback_{q}" for q in (*c.FEEDBACK_QUESTIONS, "comments")),
    "outcome_code", "outcome_own_words", "outcome_may_not_be_achievable", "outcome_achieved",
    # v2: new columns go last, so a reader that counts columns keeps working.
    *(f"answer_{name}" for name in ANSWER_FIELDS),
    f"flag_{c.FLAG_ADVOCACY_NEEDED}",  # v4: taking part looked hard (issue 18, part 2)
    # v4: the conversation that stated the wish, and the record's check-ins (how many, the latest).
    "outcome_added_in", "checkins", "last_checkin_at",
]
_RECORD_FIELDS = CSV_FIELDS[:9]

# A spreadsheet runs a cell that starts with one of these as a formula ("=HYPERLINK(...)", "@SUM(1)").
# OWASP's advice for CSV injection: start such a cell with a ' so that it is shown as the text it is.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, with a ' in front; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_rows(records_: Iterable[Dict[str, Any]]) -> Iterator[Dict[str, Any]]:
    """One row per wish (a conversation with none still gets one row)."""
    for record in records_:
        base = {k: record[k] for k in _RECORD_FIELDS}
        base.update({f"flag_{k}": v for k, v in record["flags"].items()})
        base.update({f"feedback_{k}": v for k, v in record["feedback"].items()})
        base.update({f"answer_{k}": v for k, v in record["answers"].items()})
        entries = record.get("checkins") or []
        base.update(checkins=len(entries), last_checkin_at=entries[-1]["at"] if entries else None)
        for outcome in record["outcomes"] or [None]:
            row = dict(base)
            if outcome:
                row.update({f"outcome_{k}": outcome[k] for k in
                            ("code", "own_words", "may_not_be_achievable", "achieved", "added_in")})
            yield row


def stream_csv(
    enquiry_ref: Optional[str] = None,
    since: Optional[datetime] = None,
    until: Optional[datetime] = None,
    batch: int = DEFAULT_BATCH,
) -> Iterator[str]:
    """The records as CSV, one row per wish, in chunks (header first)."""
    return csv_chunks(iter_records(enquiry_ref, since, until, batch))


def csv_chunks(records_: Iterable[Dict[str, Any]]) -> Iterator[str]:
    """These records as `stream_csv` writes them. Every cell passes `formula_safe` on its way out;
    JSON keeps the words exactly as they are."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for row in csv_rows(records_):
        writer.writerow({name: formula_safe(value) for name, value in row.items()})
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
