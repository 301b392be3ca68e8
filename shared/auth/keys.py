"""Signing keys from settings or files. Outside development and test, the repository's
development key pair is refused and a missing key stops the service at start."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

DEV_KEYS = Path(__file__).parent / "dev_keys"
DEV_PUBLIC_KEY = (DEV_KEYS / "public.pem").read_text()
DEV_PRIVATE_KEY = (DEV_KEYS / "private.pem").read_text()


class InsecureKey(ValueError):
    pass


def _read(inline: SecretStr | str | None, file: Path | None) -> str | None:
    if file is not None:
        return file.read_text()
    if isinstance(inline, SecretStr):
        return inline.get_secret_value() or None
    return inline or None


def resolve_key(
    *,
    inline: SecretStr | str | None,
    file: Path | None,
    environment: str,
    dev_default: str,
    setting: str,
) -> str:
    """The PEM text of a key. ``setting`` names the env variable for the error message."""
    key = _read(inline, file)
    if environment in ("development", "test"):
        return key or dev_default
    if key is None:
        raise InsecureKey(f"{setting} (or {setting}_FILE) must be set in {environment}")
    if key.strip() == dev_default.strip():
        raise InsecureKey(f"{setting} is the repository's development key; set a real one")
    return key
