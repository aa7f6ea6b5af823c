"""The checker the fake Sheets API runs on every request: it must reject what the
real API rejects and accept what gspread and sheetsync really send."""

from __future__ import annotations

import pytest

from tests.fakes.discovery import Discovery, SchemaViolation

BATCH = "sheets.spreadsheets.batchUpdate"


@pytest.fixture(scope="module")
def disco() -> Discovery:
    return Discovery()


def _update_cells(value: dict[str, object]) -> dict[str, object]:
    return {
        "requests": [
            {
                "updateCells": {
                    "start": {"sheetId": 0, "rowIndex": 0, "columnIndex": 0},
                    "rows": [{"values": [{"userEnteredValue": value}]}],
                    "fields": "userEnteredValue",
                }
            }
        ]
    }


def test_document_is_the_published_one(disco: Discovery) -> None:
    assert disco.doc["name"] == "sheets" and disco.doc["version"] == "v4"
    assert BATCH in disco.methods and "sheets.spreadsheets.values.batchGet" in disco.methods


def test_valid_requests_pass(disco: Discovery) -> None:
    disco.check_body(BATCH, _update_cells({"stringValue": "=not a formula"}))
    disco.check_body(
        BATCH, {"requests": [{"addSheet": {"properties": {"title": "Bob", "hidden": True}}}]}
    )
    disco.check_query(
        "sheets.spreadsheets.values.batchGet",
        {"ranges": ["'O''Brien'!A1:B2", "Team"], "valueRenderOption": ["UNFORMATTED_VALUE"]},
    )
    disco.check_query(
        "sheets.spreadsheets.get", {"includeGridData": ["false"], "fields": ["sheets.properties"]}
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_update_cells({"stringValue": "a", "numberValue": 1}), "exactly one kind"),
        (_update_cells({"textValue": "a"}), 'unknown name "textValue"'),
        (_update_cells({"numberValue": "12"}), "expected a number"),
        (_update_cells({"boolValue": 1}), "expected true or false"),
        ({"requests": [{"addSheet": {}, "deleteSheet": {"sheetId": 1}}]}, "exactly one kind"),
        ({"requests": [{}]}, "exactly one kind, got none"),
        ({"requests": [{"addSheet": {"properties": {"title": 5}}}]}, "expected a string"),
        ({"requests": [{"deleteSheet": {"sheetId": 1.5}}]}, "expected an integer"),
        ({"requests": [{"addSheet": {"properties": {"sheetType": "PIVOT"}}}]}, "not one of"),
        ({"requets": []}, 'unknown name "requets"'),
    ],
)
def test_what_the_real_api_rejects(disco: Discovery, body: object, message: str) -> None:
    with pytest.raises(SchemaViolation, match=message):
        disco.check_body(BATCH, body)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"valueRenderOption": ["RAW"]}, "not one of"),
        ({"rangez": ["A1"]}, "unknown query parameter"),
        ({"majorDimension": ["ROWS", "COLUMNS"]}, "given 2 times"),
    ],
)
def test_bad_queries(disco: Discovery, query: dict[str, list[str]], message: str) -> None:
    with pytest.raises(SchemaViolation, match=message):
        disco.check_query("sheets.spreadsheets.values.batchGet", query)


def test_drive_requests_are_checked_against_drives_own_document() -> None:
    """The Drive calls sheetsync makes are held to Drive v3's published document,
    and each method's scopes come from it."""
    drive = Discovery(name="drive.v3")
    assert drive.doc["name"] == "drive" and drive.doc["version"] == "v3"
    create = "drive.permissions.create"
    drive.check_body(create, {"type": "user", "role": "writer", "emailAddress": "a@b.c"})
    drive.check_query(create, {"sendNotificationEmail": ["false"], "supportsAllDrives": ["true"]})
    with pytest.raises(SchemaViolation, match="unknown name"):
        drive.check_body(create, {"type": "user", "role": "writer", "email": "a@b.c"})
    with pytest.raises(SchemaViolation, match="unknown query parameter"):
        drive.check_query(create, {"notify": ["false"]})
    scopes = {s.rsplit("/", 1)[1] for s in drive.methods["drive.permissions.list"]["scopes"]}
    assert "drive.metadata.readonly" in scopes and "spreadsheets" not in scopes
    scopes = {s.rsplit("/", 1)[1] for s in drive.methods[create]["scopes"]}
    assert scopes == {"drive", "drive.file"}
