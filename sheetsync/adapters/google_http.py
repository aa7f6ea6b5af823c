"""Talking to Google: credentials, a bounded retrying HTTP client under gspread, and
Google's errors turned into one line that says what to do.

gspread's own ``BackOffHTTPClient`` retries without end and gives up on HTML error
pages; this one retries 408, 429 and 5xx (JSON or HTML) and dropped connections
with exponential backoff and full jitter, a bounded number of times and a bounded
total wait, and puts a timeout on every request. Reads (GET) are retried freely.
A POST is retried only when the server cannot have applied it (429, 408, a
connection never made); any other failure of the write is left to the caller,
which asks the ledger whether it landed before sending it again.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from google.auth.credentials import Credentials
from google.auth.exceptions import GoogleAuthError, RefreshError, TransportError
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from sheetsync.config import WorkbookConfig
from sheetsync.errors import ConfigError, SheetsyncError, WorkbookError

SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
_PROJECT = re.compile(r"project (\d+)")

log = logging.getLogger(__name__)


class GoogleUnavailable(WorkbookError):
    """Google kept failing after every retry, or could not be reached."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base: float = 0.5  # seconds before the first retry, at most
    cap: float = 16.0  # longest single wait
    total: float = 60.0  # longest total wait for one request
    timeout: tuple[float, float] = (10.0, 60.0)  # connect, read

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]; a server's
        Retry-After is a floor."""
        wait = random.uniform(0, min(self.cap, self.base * 2**attempt))
        return max(wait, min(retry_after, self.cap)) if retry_after else wait


RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
NOT_APPLIED_STATUS = frozenset({408, 429})  # the server says it did nothing


def _retry_after(response: requests.Response | None) -> float | None:
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


class RetryingHTTPClient(HTTPClient):
    policy = RetryPolicy()
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    def __init__(self, auth: Credentials, session: requests.Session | None = None) -> None:
        super().__init__(auth, session)
        self.timeout = self.policy.timeout
        self.attempts_made = 0  # HTTP attempts, retries included: for the benchmarks

    def request(
        self,
        method: str,
        endpoint: str,
        params: Any = None,
        data: bytes | None = None,
        json: Mapping[str, Any] | None = None,
        files: Any = None,
        headers: MutableMapping[str, str] | None = None,
    ) -> requests.Response:
        safe = method.lower() == "get"
        waited = 0.0
        attempt = 0
        path = urlsplit(endpoint).path  # never the query, the headers or the body
        while True:
            self.attempts_made += 1
            response: requests.Response | None = None
            started = time.monotonic()
            try:
                answer = super().request(method, endpoint, params, data, json, files, headers)
                log.info(
                    "%s %s -> %s (%d bytes sent, %.0f ms)",
                    method.upper(),
                    path,
                    answer.status_code,
                    len(data or b""),
                    (time.monotonic() - started) * 1000,
                )
                return answer
            except APIError as exc:
                response = exc.response
                status = response.status_code
                log.info("%s %s -> %s", method.upper(), path, status)
                if status not in RETRY_STATUS or (not safe and status not in NOT_APPLIED_STATUS):
                    raise
                failure: Exception = exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                if not safe and not isinstance(exc, requests.ConnectTimeout):
                    raise
                failure = exc
            attempt += 1
            wait = self.policy.delay(attempt - 1, _retry_after(response))
            if attempt >= self.policy.attempts or waited + wait > self.policy.total:
                raise GoogleUnavailable(
                    f"Google Sheets did not answer after {attempt} attempts over {waited:.0f} s "
                    f"({describe(failure)}); run the command again later"
                ) from None
            log.info("retry %d in %.1f s after %s", attempt, wait, describe(failure))
            type(self).sleep(wait)
            waited += wait


# --- credentials ------------------------------------------------------------------------


def credentials_path(config: WorkbookConfig) -> Path:
    if config.credentials_file is not None:
        return config.credentials_file
    value = os.environ.get(config.credentials_env)
    if not value:
        raise ConfigError(
            f"workbook.credentials_file: no Google credentials; set credentials_file in the "
            f"config or the environment variable {config.credentials_env} to a "
            "service-account key or an authorized-user token file"
        )
    return Path(value).expanduser()


@dataclass(frozen=True)
class Identity:
    credentials: Credentials
    email: str | None  # the service account's address; None for a person's token
    source: Path


def load_credentials(config: WorkbookConfig, extra_scopes: tuple[str, ...] = ()) -> Identity:
    """Credentials from a service-account key or an authorized-user token file.
    A service account asks for ``extra_scopes`` too (Drive, for the commands that
    look at sharing); a person's token keeps what they consented to. Errors name
    the file and never quote its content."""
    from google.oauth2 import credentials as user_credentials
    from google.oauth2 import service_account

    path = credentials_path(config)
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"workbook.credentials_file: {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"workbook.credentials_file: cannot read {path} ({exc})") from None
    except json.JSONDecodeError:
        raise ConfigError(f"workbook.credentials_file: {path} is not JSON") from None
    kind = info.get("type") if isinstance(info, dict) else None
    try:
        if kind == "service_account":
            scopes = (*SCOPES, *extra_scopes)
            sa = service_account.Credentials.from_service_account_info(info, scopes=scopes)  # type: ignore[no-untyped-call]
            return Identity(sa, sa.service_account_email, path)
        if kind == "authorized_user":
            user = user_credentials.Credentials.from_authorized_user_info(info, scopes=SCOPES)  # type: ignore[no-untyped-call]
            return Identity(user, None, path)
    except (ValueError, KeyError, GoogleAuthError) as exc:
        reason = str(exc).splitlines()[0] if "private" not in str(exc).lower() else "bad key"
        raise ConfigError(
            f"workbook.credentials_file: {path} is not a usable {kind} file ({reason})"
        ) from None
    raise ConfigError(
        f"workbook.credentials_file: {path} is neither a service-account key nor an "
        f"authorized-user token file (its 'type' is {kind!r})"
    )


# --- errors -------------------------------------------------------------------------------


def _reason(exc: APIError) -> str:
    """Drive's ``errors[0].reason``, where the answer has one."""
    errors = exc.error.get("errors") or [{}]
    return str(errors[0].get("reason", "")) if isinstance(errors, list) else ""


def describe(exc: BaseException) -> str:
    if isinstance(exc, APIError):
        status = exc.response.status_code
        message = str(exc.error.get("message", "")).strip()
        if message.lstrip().startswith("<"):
            message = "an HTML error page"
        return f"HTTP {status}: {message.splitlines()[0][:160] if message else 'no message'}"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed: no network, or a proxy or firewall in the way?"
    return type(exc).__name__


def explain(exc: BaseException, sheet_id: str, identity: Identity) -> SheetsyncError:
    """One line that says what went wrong and what to do about it."""
    who = identity.email or "the account in the token file"
    if isinstance(exc, SheetsyncError):
        return exc
    if isinstance(exc, RefreshError):
        text = str(exc)
        if "invalid_grant" in text:
            return WorkbookError(
                f"{identity.source}: Google refused the credentials (invalid_grant: expired or "
                "revoked); make a new key or sign in again"
            )
        return WorkbookError(
            f"{identity.source}: Google refused the credentials; check the file is current"
        )
    if isinstance(exc, TransportError | requests.ConnectionError | requests.Timeout):
        return GoogleUnavailable(
            "cannot reach Google (sheets.googleapis.com): no network, a proxy or a firewall? "
            "run the command again when online"
        )
    if isinstance(exc, APIError):
        status = exc.response.status_code
        message = str(exc.error.get("message", ""))
        if status == 403 and ("has not been used" in message or "is disabled" in message):
            m = _PROJECT.search(message)
            project = m.group(1) if m else "<your project>"
            api, host = ("Drive", "drive") if "drive" in message.lower() else ("Sheets", "sheets")
            return WorkbookError(
                f"the Google {api} API is not enabled for project "
                f"{project}: enable it at https://console.developers.google.com/apis/api/"
                f"{host}.googleapis.com/overview?project={project} and run again"
            )
        if status == 403 and "insufficient authentication scopes" in message:
            return WorkbookError(
                f"{identity.source}: these credentials were not granted Google Drive access, "
                "which seeing and changing who may open the spreadsheet needs; use a "
                "service-account key (sheetsync asks for the scope itself), or sign in again "
                "allowing Drive"
            )
        if status == 403 and _reason(exc) == "insufficientFilePermissions":
            return WorkbookError(
                f"only the spreadsheet's owner (or its editors, where the owner lets them "
                f"share) may see and change who has access, and {who} may not: ask the owner "
                "to share it, or to let editors share (Share > Settings)"
            )
        if status in (400, 403) and "protected cell" in message:
            return WorkbookError(
                f"a tab of spreadsheet {sheet_id} is protected and {who} is not one of its "
                "editors; add it in Data > Protect sheets and ranges, or remove that protection"
            )
        if status == 403:
            return WorkbookError(
                f"spreadsheet {sheet_id} is not shared with {who}; open it in Google "
                f"Sheets, click Share and add {who} as an Editor"
            )
        if status == 404:
            return WorkbookError(
                f"no spreadsheet with id {sheet_id}; check workbook.spreadsheet in the config"
            )
        if status == 401:
            return WorkbookError(
                f"{identity.source}: Google refused the credentials (401); check the file"
            )
        return WorkbookError(
            f"Google Sheets refused the request ({describe(exc)}); nothing was written. "
            "If it happens again, report it with this line: it is a sheetsync bug"
        )
    raise exc
