"""Credentials made in the test: a service-account key with a fresh RSA key, and a
person's authorized-user token file. The real google-auth code loads and uses them;
the fake token endpoint answers."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.secrets import remember

SERVICE_ACCOUNT = "sheetsync-bot@sales-coaching.iam.gserviceaccount.com"


@functools.cache
def _private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return remember(pem)


def service_account_file(folder: Path, email: str = SERVICE_ACCOUNT) -> Path:
    path = folder / "sa.json"
    info = {
        "type": "service_account",
        "project_id": "sales-coaching",
        "private_key_id": "0123456789abcdef",
        "private_key": _private_key_pem(),
        "client_email": email,
        "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path.write_text(json.dumps(info), encoding="utf-8")
    path.chmod(0o600)
    return path


def authorized_user_file(folder: Path, refresh_token: str) -> Path:
    path = folder / "token.json"
    info = {
        "type": "authorized_user",
        "client_id": "123.apps.googleusercontent.com",
        "client_secret": remember("not-a-real-client-secret-0123456789"),
        "refresh_token": remember(refresh_token),
    }
    path.write_text(json.dumps(info), encoding="utf-8")
    path.chmod(0o600)
    return path
