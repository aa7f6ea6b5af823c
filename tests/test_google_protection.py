"""Locks, protection and sharing on Google under the real API's rules (issue 11):
the spreadsheet belongs to someone other than the manager, a tab holds one
whole-sheet protection, and people protect, unprotect and edit protections
themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.backends import MANAGER, OWNER, SHEET_ID, GoogleBackend
from tests.fakes.keys import SERVICE_ACCOUNT
from tests.fakes.sheets_api import FakeSheetsApi
from tests.test_cli import run
from tests.test_google import google, lock, with_persons_token

ALICE = "alice@example.com"


def protections(g: GoogleBackend, tab: str) -> list[dict[str, Any]]:
    sheet_id = g.book.sheet(title=tab).sheet_id
    return [p for p in g.book.protected if p["range"].get("sheetId", 0) == sheet_id]


def sheet_protection(g: GoogleBackend, tab: str) -> dict[str, Any]:
    (whole,) = [p for p in protections(g, tab) if "startRowIndex" not in p["range"]]
    return whole


def work_on_both_pages(g: GoogleBackend) -> None:
    g.type_row("Alice Chen", "#new_opportunities", ["Globex", "Globex", 12500, "Demo"])
    g.type_row("Bob", "#new_opportunities", ["Initech", "Initech", 9000, "Demo"])


def replace_protection(g: GoogleBackend, tab: str, who: str, **protected: Any) -> None:
    """``who`` removes sheetsync's protection of ``tab`` and protects it their way."""
    sheet_id = g.book.sheet(title=tab).sheet_id
    ours = sheet_protection(g, tab)["protectedRangeId"]
    protected.setdefault("range", {"sheetId": sheet_id})
    g.fake.person(
        SHEET_ID,
        who,
        [
            {"deleteProtectedRange": {"protectedRangeId": ours}},
            {"addProtectedRange": {"protectedRange": protected}},
        ],
    )


def test_rollover_locks_beside_the_page_protection_and_leaves_one_of_each(tmp_path: Path) -> None:
    """The lock is a bounded range, so the page's sheet protection stays where it is
    during the write, and the write takes the lock away again."""
    with google(tmp_path) as g:
        assert run(g.config, "init").exit_code == 0
        work_on_both_pages(g)
        before = {t: sheet_protection(g, t) for t in ("Alice Chen", "Bob", "History")}
        seen: list[list[str]] = []
        start = len(g.fake.calls)

        def look(fake: FakeSheetsApi) -> None:
            seen.append([p.get("description", "") for p in fake.books[SHEET_ID].protected])

        # metadata and the pages, then again with History (a page rolls), lock, the write
        g.fake.before[start + 6] = look
        res = run(g.config, "rollover", today="2026-11-02")
        assert res.exit_code == 0, res.output
        locks = [d for d in seen[0] if d.startswith("sheetsync lock")]
        # both pages and the Team tab (read, so they can be checked), and the ledger
        assert len(locks) == 4
        for tab, prot in before.items():
            assert sheet_protection(g, tab) == prot  # untouched
        assert not [p for p in g.book.protected if "lock" in p["description"]]
        for prot in g.book.protected:  # never left open to a Workspace domain
            assert prot["editors"].get("domainUsersCanEdit") is False


def test_a_page_a_person_protected_so_that_sheetsync_may_edit_keeps_their_protection(
    tmp_path: Path,
) -> None:
    with google(tmp_path) as g:
        run(g.config, "init")
        work_on_both_pages(g)
        theirs = {
            "description": "Alice and her manager",
            "editors": {"users": [ALICE, MANAGER, SERVICE_ACCOUNT]},
        }
        replace_protection(g, "Alice Chen", MANAGER, **theirs)
        mine = sheet_protection(g, "Alice Chen")
        res = run(g.config, "rollover", today="2026-11-02")
        assert res.exit_code == 0, res.output
        assert g.cells("Alice Chen")[3][2] == "2026-11"
        assert protections(g, "Alice Chen") == [mine]  # theirs alone, as it was
        assert "protected by a person (Alice and her manager)" in run(g.config, "check").output


@pytest.mark.parametrize("kind", ["the whole tab", "cells of it"])
def test_a_page_protected_against_sheetsync_is_named_left_alone_and_the_others_roll(
    tmp_path: Path, kind: str
) -> None:
    with google(tmp_path) as g:
        run(g.config, "init")
        work_on_both_pages(g)
        if kind == "the whole tab":
            replace_protection(
                g, "Alice Chen", OWNER, description="frozen", editors={"users": [MANAGER]}
            )
        else:
            sheet_id = g.book.sheet(title="Alice Chen").sheet_id
            header = {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 3}
            rng = {"range": header, "description": "frozen", "editors": {"users": [MANAGER]}}
            g.fake.person(SHEET_ID, MANAGER, [{"addProtectedRange": {"protectedRange": rng}}])
        alice = g.cells("Alice Chen")
        res = run(g.config, "rollover", today="2026-11-02")
        assert res.exit_code == 3, res.output
        errors = [line for line in res.output.splitlines() if line.startswith("Error:")]
        assert errors == [
            f"Error: tab 'Alice Chen' is protected ({kind}, \"frozen\") and {SERVICE_ACCOUNT} "
            "is not one of the people who may edit it: only its editors and the "
            f"spreadsheet's owner may; add {SERVICE_ACCOUNT} to that protection in Data > "
            "Protect sheets and ranges, or remove it"
        ]
        assert "Bob Stone: rolled 2026-10 -> 2026-11" in res.output
        assert g.cells("Alice Chen") == alice
        check = run(g.config, "check")
        assert check.exit_code == 3
        assert "  blocked  Alice Chen  tab 'Alice Chen' is protected" in check.output


def test_init_adds_a_new_reps_page_beside_a_page_protected_against_sheetsync(
    tmp_path: Path,
) -> None:
    with google(tmp_path) as g:
        run(g.config, "init")
        replace_protection(g, "Bob", OWNER, description="frozen", editors={"users": [MANAGER]})
        bob = protections(g, "Bob")
        carol = "      - {name: Carol Diaz, email: carol@example.com}\n"
        g.config.write_text(g.config.read_text() + carol)
        res = run(g.config, "init")
        assert res.exit_code == 0, res.output
        assert "created Carol Diaz" in res.output and protections(g, "Bob") == bob


def test_history_protected_against_sheetsync_stops_the_run_before_anything_is_written(
    tmp_path: Path,
) -> None:
    with google(tmp_path) as g:
        run(g.config, "init")
        work_on_both_pages(g)
        replace_protection(g, "History", OWNER, editors={"users": [MANAGER]})
        before = g.state()
        res = run(g.config, "rollover", today="2026-11-02")
        assert res.exit_code == 1 and res.output.count("\n") == 1
        assert res.output.startswith("Error: tab 'History' is protected (the whole tab, no ")
        assert res.output.endswith("; nothing was written\n")
        assert g.state() == before


def test_editors_a_person_added_to_sheetsyncs_protection_stay(tmp_path: Path) -> None:
    """Only the editors sheetsync put there are sheetsync's to change: a rep's new
    address replaces the old one; the assistant the manager added stays."""
    with google(tmp_path) as g:
        run(g.config, "init")
        work_on_both_pages(g)
        ours = sheet_protection(g, "Alice Chen")
        users = [*ours["editors"]["users"], "assistant@example.com"]
        g.fake.person(
            SHEET_ID,
            MANAGER,
            [
                {
                    "updateProtectedRange": {
                        "protectedRange": {
                            "protectedRangeId": ours["protectedRangeId"],
                            "editors": {"users": users},
                        },
                        "fields": "editors",
                    }
                }
            ],
        )
        g.config.write_text(g.config.read_text().replace(ALICE, "alice.chen@example.com"))
        g.book.share("alice.chen@example.com", "writer")
        assert run(g.config, "rollover", today="2026-11-02").exit_code == 0
        editors = set(sheet_protection(g, "Alice Chen")["editors"]["users"])
        assert editors == {
            "alice.chen@example.com",
            MANAGER,
            SERVICE_ACCOUNT,
            OWNER,
            "assistant@example.com",
        }
        assert run(g.config, "rollover", today="2026-11-03").exit_code == 0  # nothing to do
        assert set(sheet_protection(g, "Alice Chen")["editors"]["users"]) == editors


def test_a_protection_a_person_removed_stays_removed_until_init_puts_it_back(
    tmp_path: Path,
) -> None:
    with google(tmp_path) as g:
        run(g.config, "init")
        work_on_both_pages(g)
        ours = sheet_protection(g, "Bob")["protectedRangeId"]
        g.fake.person(SHEET_ID, MANAGER, [{"deleteProtectedRange": {"protectedRangeId": ours}}])
        assert run(g.config, "rollover", today="2026-11-02").exit_code == 0
        assert protections(g, "Bob") == []
        check = run(g.config, "check").output
        assert "Bob Stone's page for 2026-11; not protected: anyone who may edit the " in check
        start = len(g.fake.calls)
        res = run(g.config, "init")
        assert res.exit_code == 0, res.output
        assert set(sheet_protection(g, "Bob")["editors"]["users"]) == {
            "bob@example.com",
            MANAGER,
            SERVICE_ACCOUNT,
            OWNER,
        }
        assert len(g.fake.calls) - start == 4  # open, read, lock the ledger, write
        start = len(g.fake.calls)
        assert run(g.config, "init").exit_code == 0
        assert len(g.fake.calls) - start == 2  # everything protected: nothing to write


def test_a_protection_added_during_the_run_is_named_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    with google(tmp_path) as g:
        run(g.config, "init")
        work_on_both_pages(g)
        start = len(g.fake.calls)

        def protect_totals(fake: FakeSheetsApi) -> None:
            sheet_id = fake.books[SHEET_ID].sheet(title="Team").sheet_id
            rng = {"range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 2}}
            fake.person(SHEET_ID, OWNER, [{"addProtectedRange": {"protectedRange": rng}}])

        g.fake.before[start + 4] = protect_totals  # just before the write
        before = [g.cells(t) for t in ("Alice Chen", "Bob", "History")]
        res = run(g.config, "rollover", today="2026-11-02")
        assert res.exit_code == 1 and res.output.count("\n") == 1
        assert res.output.startswith(
            f"Error: tab 'Team' is protected and {SERVICE_ACCOUNT} is not one of the people "
        )
        assert "nothing was written" in res.output and "sheetsync bug" not in res.output
        assert [g.cells(t) for t in ("Alice Chen", "Bob", "History")] == before


def test_a_dead_runs_lock_a_person_removed_meanwhile_does_not_stop_the_write(
    tmp_path: Path,
) -> None:
    with google(tmp_path) as g:
        run(g.config, "init")
        work_on_both_pages(g)
        lock(g, "Bob", "2026-11-01T06:00:00+00:00")
        start = len(g.fake.calls)

        def remove_it(fake: FakeSheetsApi) -> None:
            dead = [p for p in fake.books[SHEET_ID].protected if "deadbeef" in p["description"]]
            fake.person(
                SHEET_ID,
                OWNER,
                [{"deleteProtectedRange": {"protectedRangeId": dead[0]["protectedRangeId"]}}],
            )

        g.fake.before[start + 4] = remove_it
        res = run(g.config, "rollover", today="2026-11-02")
        assert res.exit_code == 0, res.output
        assert g.cells("Bob")[3][2] == "2026-11"
        assert not [p for p in g.book.protected if "lock" in p["description"]]


def test_the_runs_own_lock_removed_by_the_owner_means_planning_again(tmp_path: Path) -> None:
    with google(tmp_path) as g:
        run(g.config, "init")
        work_on_both_pages(g)
        start = len(g.fake.calls)

        def owner_unlocks_and_types(fake: FakeSheetsApi) -> None:
            book = fake.books[SHEET_ID]
            alice = book.sheet(title="Alice Chen").sheet_id
            (ours,) = [
                p
                for p in book.protected
                if "lock" in p["description"] and p["range"]["sheetId"] == alice
            ]
            fake.person(
                SHEET_ID,
                OWNER,
                [{"deleteProtectedRange": {"protectedRangeId": ours["protectedRangeId"]}}],
            )
            row = g.find("Alice Chen", "Personal goal")
            fake.type(SHEET_ID, "Alice Chen", row, 3, "typed in the gap", who=MANAGER)

        g.fake.before[start + 6] = owner_unlocks_and_types  # the lock, as above
        res = run(g.config, "rollover", today="2026-11-02")
        assert res.exit_code == 0, res.output
        goal = next(r for r in g.cells("Alice Chen") if "Personal goal" in r)
        assert goal[2] == "typed in the gap" and g.cells("Alice Chen")[3][2] == "2026-11"
        assert not [p for p in g.book.protected if "lock" in p["description"]]


def test_a_write_google_applies_after_the_client_gave_up_lands_once(
    tmp_path: Path, sleeps: list[float]
) -> None:
    """The write's answer never comes (Google took longer than the read timeout);
    the ledger does not show it yet, so it is sent again; Google applies the first
    one, then refuses the second because the locks it removes are gone; the ledger
    then shows the first landed. History holds each row once."""
    with google(tmp_path) as g:
        run(g.config, "init")
        work_on_both_pages(g)
        start = len(g.fake.calls)
        g.fake.apply_late(start + 6)  # two reads (the pages, then with History), lock, write
        res = run(g.config, "rollover", today="2026-11-02")
        assert res.exit_code == 0, res.output
        calls = [m for m, _ in g.fake.calls[start:]]
        # the write, the ledger read (not landed yet), the write again (refused:
        # the first landed just before it), the ledger read (landed)
        assert calls == ["GET", "GET", "GET", "GET", "POST", "POST", "GET", "POST", "GET"]
        history = g.cells("History")[1:]
        keys = [(r[0], r[1], r[3]) for r in history]
        assert len(keys) == len(set(keys)) and len(history) == 2
        assert g.cells("Alice Chen")[3][2] == "2026-11"


def test_in_a_workspace_domain_a_colleague_cannot_edit_a_reps_page(tmp_path: Path) -> None:
    with google(tmp_path) as g:
        g.book.domain = "example.com"
        g.book.share("example.com", "writer", kind="domain")
        run(g.config, "init")
        row = g.find("Alice Chen", "Personal goal")
        with pytest.raises(PermissionError):
            g.fake.type(SHEET_ID, "Alice Chen", row, 3, "x", who="carol@example.com")
        g.fake.type(SHEET_ID, "Alice Chen", row, 3, "mine", who=ALICE)


# --- sharing -------------------------------------------------------------------------------


def test_check_names_each_person_who_cannot_edit_the_spreadsheet(tmp_path: Path) -> None:
    with google(tmp_path) as g:
        run(g.config, "init")
        g.book.unshare("bob@example.com")
        g.book.share(ALICE, "reader")
        res = run(g.config, "check")
        assert res.exit_code == 3
        access = [line for line in res.output.splitlines() if line.startswith("  access")]
        assert access == [
            "  access   alice@example.com  Alice Chen (rep) cannot edit the spreadsheet: they "
            "can only view it; run sheetsync init --share",
            "  access   bob@example.com  Bob Stone (rep) cannot edit the spreadsheet: it is not "
            "shared with them; run sheetsync init --share",
        ]


def test_init_share_gives_the_team_editor_access_once_and_mails_nobody(tmp_path: Path) -> None:
    with google(tmp_path) as g:
        g.book.unshare("bob@example.com")
        g.book.share(ALICE, "reader")
        res = run(g.config, "init", "--share")
        assert res.exit_code == 0, res.output
        assert "West: upgraded with alice@example.com as an editor (from reader to editor)" in (
            res.output
        )
        assert "West: shared with bob@example.com as an editor (no email sent)" in res.output
        assert g.fake.drive.notified == []
        assert g.book.role_of("bob@example.com") == "writer"
        assert g.book.role_of(ALICE) == "writer"
        g.fake.type(SHEET_ID, "Bob", 2, 3, "Bob can type now", who="bob@example.com")
        start = len(g.fake.calls)
        res = run(g.config, "init", "--share")
        assert "everyone of the team may already edit the spreadsheet" in res.output
        assert [p for _, p in g.fake.calls[start:] if "/drive/" in p] == [
            f"/drive/v3/files/{SHEET_ID}/permissions"
        ]  # listed, nothing created
        assert "access   people  all 3 people of the team may edit it" in (
            run(g.config, "check").output
        )


def test_init_share_notify_and_an_address_without_a_google_account(tmp_path: Path) -> None:
    with google(tmp_path) as g:
        g.book.unshare("bob@example.com")
        g.book.unshare(ALICE)
        g.fake.drive.no_google_account.add("bob@example.com")
        res = run(g.config, "init", "--share")
        assert res.exit_code == 3
        assert (
            "Error: West: could not share with bob@example.com: bob@example.com has no Google "
            "account: share with --notify, and Google emails them an invitation to make one"
        ) in res.output
        assert "shared with alice@example.com as an editor (no email sent)" in res.output
        res = run(g.config, "init", "--share", "--notify")
        assert res.exit_code == 0, res.output
        assert g.fake.drive.notified == [("bob@example.com", SHEET_ID)]


def test_sharing_the_owner_does_not_allow_is_one_line(tmp_path: Path) -> None:
    with google(tmp_path) as g:
        g.book.unshare("bob@example.com")
        g.book.writers_can_share = False
        res = run(g.config, "init", "--share")
        assert res.exit_code == 1 and res.output.count("\n") == 1
        assert "only the spreadsheet's owner (or its editors, where the owner lets them " in (
            res.output
        )
        check = run(g.config, "check")
        assert "  access   people  cannot tell who may edit it: only the spreadsheet's " in (
            check.output
        )


def test_a_persons_token_without_drive_access_says_so_in_check(tmp_path: Path) -> None:
    with google(tmp_path) as g:
        with_persons_token(g, tmp_path)
        run(g.config, "init")
        res = run(g.config, "check")
        assert res.exit_code == 0, res.output
        assert "cannot tell who may edit it: " in res.output
        assert "were not granted Google Drive access" in res.output


def test_the_service_account_asks_for_drive_only_in_the_commands_that_share(
    tmp_path: Path,
) -> None:
    with google(tmp_path) as g:
        run(g.config, "init")
        scopes = g.fake.token_scopes.copy()
        assert {s.rsplit("/", 1)[1] for v in scopes.values() for s in v} == {"spreadsheets"}
        run(g.config, "check")
        new = [v for k, v in g.fake.token_scopes.items() if k not in scopes]
        assert [sorted(s.rsplit("/", 1)[1] for s in v) for v in new] == [
            ["drive.metadata.readonly", "spreadsheets"]
        ]
