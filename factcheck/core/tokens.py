"""Opaque page tokens and feed cursors: a kind letter and a number, base64url without padding."""

import base64
import binascii

from factcheck.problems import BadRequest


def encode_token(kind: str, number: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}{number}".encode()).decode().rstrip("=")


def decode_token(token: str, kind: str) -> int:
    """The number inside a token this service issued; 400 for anything else."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    number = raw[len(kind) :]
    if not raw.startswith(kind) or not number.isdigit() or len(number) > 18:
        raise BadRequest("The page token or cursor is not one this service issued.")
    return int(number)
