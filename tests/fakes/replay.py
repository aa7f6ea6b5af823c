"""Google's recorded answers replayed against the fake: how close the fake is.

The recordings are gspread's own test cassettes (real traffic with the real
Sheets API, kept in ``../shared/google-recordings``; never copied here). Each
cassette is replayed in order into a fresh fake: the Drive calls that make,
copy and delete the test spreadsheets are played by this module on the fake's
state, and every Sheets request is sent to the fake over HTTP (``responses``), as
gspread sent it to Google. The fake's answer is then compared with Google's.

Only the request shapes sheetsync sends are compared (``spreadsheets.get`` with
any fields, ranges or grid data; ``batchUpdate`` made only of request kinds
sheetsync uses; values reads). The others are still sent, so that the state
stays the same as Google's; once one of them is answered differently from
Google, the state may differ, and what follows in that cassette is counted as
"replayed, not comparable" with that reason.

Ids are the one thing the replay adapts: where Google chose an id (a new sheet,
protected range, named range), the request is sent with the id Google chose,
which the API lets a client do, so that later requests naming it reach the same
object.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses

from tests.fakes.sheets_api import FakeSheetsApi

Json = dict[str, Any]

RECORDINGS = (
    Path(__file__).resolve().parents[3] / "shared" / "google-recordings" / "gspread-cassettes"
)
REPLAYER = "replayer@replay-project.iam.gserviceaccount.com"  # the recordings' own account
TOKEN = "replay-access-token"
SHEETS = "sheets.googleapis.com"
DRIVE_FILES = re.compile(r"^/drive/v3/files(?:/([^/]+))?(?:/(copy))?$")
ACCOUNT = re.compile(r"[\w.+-]+@[\w-]+\.iam\.gserviceaccount\.com")

# What sheetsync sends in a batchUpdate (sheetsync/adapters/google*.py).
SHEETSYNC_KINDS = frozenset(
    {
        "addSheet",
        "updateSheetProperties",
        "updateCells",
        "appendCells",
        "repeatCell",
        "setDataValidation",
        "updateDimensionProperties",
        "insertDimension",
        "deleteDimension",
        "addProtectedRange",
        "updateProtectedRange",
        "deleteProtectedRange",
        "addChart",
        "deleteEmbeddedObject",
        "addConditionalFormatRule",
        "deleteConditionalFormatRule",
    }
)
# The reply fields that carry an id Google chose, by request kind.
CHOSEN_IDS = {
    "addSheet": (("properties", "sheetId"), ("properties", "sheetId")),
    "addProtectedRange": (
        ("protectedRange", "protectedRangeId"),
        ("protectedRange", "protectedRangeId"),
    ),
    "addNamedRange": (("namedRange", "namedRangeId"), ("namedRange", "namedRangeId")),
    "addChart": (("chart", "chartId"), ("chart", "chartId")),
}


@dataclass(frozen=True)
class Exchange:
    cassette: str
    index: int  # position in the cassette, from 0
    method: str
    uri: str
    body: str | None
    status: int
    answer: str

    @property
    def host(self) -> str:
        return urlsplit(self.uri).netloc

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    def json_body(self) -> Any:
        return json.loads(self.body) if self.body else None

    def json_answer(self) -> Any:
        try:
            return json.loads(self.answer) if self.answer.strip() else None
        except json.JSONDecodeError:
            return self.answer

    @property
    def where(self) -> str:
        return f"{self.cassette}#{self.index}"


def cassettes() -> list[Path]:
    return sorted(RECORDINGS.glob("*.json"))


def exchanges(path: Path) -> list[Exchange]:
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for i, it in enumerate(data["interactions"]):
        rq, rs = it["request"], it["response"]
        body = rq.get("body")
        if isinstance(body, dict):
            body = body.get("string")
        out.append(
            Exchange(
                path.stem,
                i,
                rq["method"],
                rq["uri"],
                body,
                int(rs["status"]["code"]),
                rs.get("body", {}).get("string") or "",
            )
        )
    return out


def shape(ex: Exchange) -> str | None:
    """The sheetsync request shape this exchange has, or None."""
    if ex.host != SHEETS:
        return None
    rest = ex.path.split("/v4/spreadsheets/", 1)[-1]
    if ex.method == "GET" and "/" not in rest:
        return "spreadsheets.get"
    if ex.method == "GET" and rest.endswith("/values:batchGet"):
        return "values.batchGet"
    if ex.method == "GET" and "/values/" in rest:
        return "values.get"
    if ex.method == "POST" and rest.endswith(":batchUpdate") and "/values" not in rest:
        body = ex.json_body() or {}
        kinds = {next(iter(r)) for r in body.get("requests", []) if r}
        if kinds and kinds <= SHEETSYNC_KINDS:
            return "batchUpdate"
    return None


def kinds_of(ex: Exchange) -> str:
    if ex.path.endswith(":batchUpdate") and "/values" not in ex.path:
        body = ex.json_body() or {}
        return "batchUpdate " + "+".join(sorted({next(iter(r)) for r in body["requests"]}))
    rest = ex.path.split("/v4/spreadsheets/", 1)[-1]
    tail = rest.split("/", 1)[1] if "/" in rest else "get"
    return f"{ex.method} {re.sub(r'values/[^:]*', 'values/<range>', tail)}"


def normalised(value: Any) -> Any:
    """An answer with the service account's address made neutral (the recordings'
    account and the replayer's differ) and JSON's float/int noise removed."""
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, str):
        return ACCOUNT.sub("<service account>", value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass
class Outcome:
    exchange: Exchange
    shape: str | None
    status: int  # the fake's
    answer: Any  # the fake's, parsed
    comparable: bool
    identical: bool
    why_not_comparable: str = ""

    @property
    def where(self) -> str:
        return self.exchange.where

    @property
    def book_id(self) -> str:
        return self.exchange.path.split("/v4/spreadsheets/", 1)[-1].split("/")[0].split(":")[0]


class Replayer:
    """One cassette into one fake."""

    def __init__(self) -> None:
        self.fake = FakeSheetsApi()
        self.fake.tokens[TOKEN] = REPLAYER
        self.session = requests.Session()
        self.diverged = ""  # why the fake's state may now differ from Google's

    def run(self, path: Path) -> Iterator[Outcome]:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            self.fake.install(mock)
            for ex in exchanges(path):
                if ex.host != SHEETS:
                    self._drive(ex)
                    continue
                yield self._sheets(ex)

    # --- Drive: the test spreadsheets' life, played on the fake's state ------------------

    def _drive(self, ex: Exchange) -> None:
        m = DRIVE_FILES.match(ex.path)
        if ex.status < 300 and ex.method in ("PUT", "PATCH") and not self.diverged:
            self.diverged = f"after {ex.where} (a Drive upload, which the replay does not play)"
        if not m or ex.status >= 300:
            return
        file_id, copy = m.group(1), m.group(2)
        answer = ex.json_answer() or {}
        if ex.method == "GET" and file_id is None:
            # files.list: spreadsheets the account made in tests not recorded here
            for entry in answer.get("files", []):
                if entry["id"] not in self.fake.books:
                    self.fake.create(entry["id"], title=entry["name"], owner=REPLAYER)
        elif ex.method == "POST" and file_id is None:
            if answer.get("mimeType") == "application/vnd.google-apps.spreadsheet":
                self.fake.create(answer["id"], title=answer["name"], owner=REPLAYER)
        elif ex.method == "POST" and copy and file_id in self.fake.books:
            self.fake.copy(file_id, answer["id"], answer["name"])
        elif ex.method == "DELETE" and file_id in self.fake.books:
            del self.fake.books[file_id]

    # --- Sheets: sent to the fake over HTTP ----------------------------------------------

    def _sheets(self, ex: Exchange) -> Outcome:
        book_id = ex.path.split("/v4/spreadsheets/", 1)[-1].split("/")[0].split(":")[0]
        if book_id not in self.fake.books and ex.status == 403:
            # a spreadsheet the recording's account was never given: someone else's
            self.fake.create(book_id).shared = set()
        body = self._with_chosen_ids(ex)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self.session.request(ex.method, ex.uri, data=body, headers=headers)
        except Exception as exc:  # the fake itself failed: a difference like any other
            response = requests.Response()
            response.status_code, response._content = 599, repr(exc).encode()
        try:
            answer: Any = response.json()
        except ValueError:
            answer = response.text
        kind = shape(ex)
        same_status = response.status_code == ex.status
        identical = same_status and normalised(answer) == normalised(ex.json_answer())
        # an error on both sides changed nothing on either (requests are atomic)
        both_failed = same_status and response.status_code >= 400
        if kind is None:
            if not identical and not both_failed and not self.diverged:
                self.diverged = (
                    f"after {ex.where} ({kinds_of(ex)}), which the fake answers "
                    f"{response.status_code} where Google answered {ex.status}"
                    if not same_status
                    else f"after {ex.where} ({kinds_of(ex)}), answered differently"
                )
            return Outcome(ex, None, response.status_code, answer, False, identical)
        if self.diverged:
            return Outcome(ex, kind, response.status_code, answer, False, identical, self.diverged)
        return Outcome(ex, kind, response.status_code, answer, True, identical)

    @staticmethod
    def _with_chosen_ids(ex: Exchange) -> str | None:
        """The request body, with the ids Google chose for the objects it adds."""
        if ex.body is None or ex.status != 200 or not ex.path.endswith(":batchUpdate"):
            return ex.body
        body = ex.json_body()
        replies = (ex.json_answer() or {}).get("replies", [])
        if not isinstance(body, dict) or "requests" not in body:
            return ex.body
        for request, reply in zip(body["requests"], replies, strict=False):
            kind = next(iter(request))
            if kind not in CHOSEN_IDS:
                continue
            (rq_obj, rq_key), (rp_obj, rp_key) = CHOSEN_IDS[kind]
            chosen = reply.get(kind, {}).get(rp_obj, {}).get(rp_key)
            target = request[kind].setdefault(rq_obj, {}) or request[kind][rq_obj]
            if chosen is not None and target.get(rq_key) is None:
                target[rq_key] = chosen
        return json.dumps(body)


def replay_all() -> list[Outcome]:
    out: list[Outcome] = []
    for path in cassettes():
        out += list(Replayer().run(path))
    return out


def query_of(ex: Exchange) -> dict[str, list[str]]:
    return parse_qs(urlsplit(ex.uri).query, keep_blank_values=True)
