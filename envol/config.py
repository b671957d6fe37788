"""Settings from the environment, with safe embedded defaults and one clear line per mistake.

A configuration mistake must never show a stack trace: `ConfigError` names the variable and
says what to put there; the CLI prints it and exits with status 2.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger("envol.config")


class ConfigError(Exception):
    """A wrong or missing setting: says which variable and what to put."""

    def __init__(self, variable: str, problem: str, fix: str) -> None:
        self.variable = variable
        super().__init__(f"{variable}: {problem}. {fix}")


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if not raw:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(name, f"'{raw}' is not a yes/no value", "Put true or false.")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(
            name, f"'{raw}' is not a whole number", f"Put a number such as {default}."
        ) from None
    if value < minimum:
        raise ConfigError(name, f"{value} is below {minimum}", f"Put a number ≥ {minimum}.")
    return value


def env_choice(name: str, default: str, choices: Iterable[str]) -> str:
    """One of a few named values, e.g. ENVOL_THEME=dsfr."""
    raw = env_str(name).lower()
    if not raw:
        return default
    allowed = list(choices)
    if raw not in allowed:
        raise ConfigError(name, f"unknown value '{raw}'", f"Put one of: {', '.join(allowed)}.")
    return raw


THEMES = ("envol", "dsfr")


def theme() -> str:
    """The web look: envol's own (default), or the French State design system (DSFR), which
    only State websites may use (see the README)."""
    return env_choice("ENVOL_THEME", "envol", THEMES)


SIGNUP_MODES = ("closed", "invite", "open")


def signup() -> str:
    """Who may create a personal space by signing in with Bluesky or Mastodon: nobody
    (`closed`, institution instances), people with an invitation (`invite`), anyone (`open`)."""
    return env_choice("ENVOL_SIGNUP", "closed", SIGNUP_MODES)


def data_dir() -> Path:
    """Where the embedded mode keeps its database, keys and uploads (ENVOL_DATA_DIR, ./var).
    Created readable by its owner only (0700), and made so again at start if it was not."""
    path = Path(env_str("ENVOL_DATA_DIR", "var")).expanduser().resolve()
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            "ENVOL_DATA_DIR",
            f"cannot create {path} ({exc.strerror})",
            "Point it at a writable folder.",
        ) from None
    restrict(path, 0o700)
    return path


def restrict(path: Path, mode: int) -> None:
    """Give `path` exactly `mode` if it exists with looser bits; say so in the log."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if current & ~mode:
        try:
            path.chmod(mode)
        except OSError as exc:
            logger.warning("Could not restrict %s to %o (%s).", path, mode, exc.strerror)
            return
        logger.warning("Restricted %s from %o to %o (owner only).", path, current, mode)


def private_sqlite(database: Path) -> None:
    """The embedded database and its WAL and shared-memory files, owner only (0600). The
    database is created so before SQLite opens it; SQLite gives its -wal and -shm files the
    database's own mode."""
    if not database.exists() and database.parent.is_dir():
        os.close(os.open(database, os.O_CREAT | os.O_WRONLY, 0o600))
    for suffix in ("", "-wal", "-shm", "-journal"):
        restrict(database.with_name(database.name + suffix), 0o600)


def stored_secret(path: Path, make: Callable[[], str]) -> str:
    """Read a secret envol generated into the data dir, creating it (mode 600) on first use:
    the secret key and encryption keys of the embedded mode, the OAuth client key, the
    crosswalk feed's signing key."""
    if path.exists():
        return path.read_text().strip()
    made = make()
    descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(descriptor, "w") as secret_file:
        secret_file.write(made)
    return made


CONSOLE_EMAIL = "django.core.mail.backends.console.EmailBackend"


def email_backend(production: bool) -> str:
    """Django's email backend. The console backend (the embedded default) prints every mail to
    the log, password-reset links included: in production it must be chosen explicitly."""
    chosen = env_str("ENVOL_EMAIL_BACKEND")
    if chosen:
        return chosen
    if production:
        raise ConfigError(
            "ENVOL_EMAIL_BACKEND",
            "missing in production (the console backend would print password-reset links "
            "to the log)",
            "Put django.core.mail.backends.smtp.EmailBackend with ENVOL_EMAIL_HOST, or choose "
            f"{CONSOLE_EMAIL} knowingly.",
        )
    return CONSOLE_EMAIL


@dataclass(frozen=True)
class Secrets:
    secret_key: str
    encryption_keys: list[str]


def load_secrets(production: bool, where: Path) -> Secrets:
    """The Django secret key and the Fernet keys that encrypt credentials at rest.

    In production both must come from the environment; the embedded mode generates them once in
    the data dir so a demo needs no setup. ENVOL_ENCRYPTION_KEYS is a comma-separated list, newest
    first: older keys still decrypt, so keys rotate without downtime.
    """
    secret_key = env_str("ENVOL_SECRET_KEY")
    keys_raw = env_str("ENVOL_ENCRYPTION_KEYS")
    if production:
        if len(secret_key) < 32:
            raise ConfigError(
                "ENVOL_SECRET_KEY",
                "missing or shorter than 32 characters",
                "Put a long random string, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`.",
            )
        if not keys_raw:
            raise ConfigError(
                "ENVOL_ENCRYPTION_KEYS",
                "missing",
                "Put one or more Fernet keys separated by commas, from "
                "`envol manage generate_encryption_key`.",
            )
    if not secret_key:
        secret_key = stored_secret(where / "secret_key", lambda: secrets.token_urlsafe(50))
    if not keys_raw:
        keys_raw = stored_secret(
            where / "encryption_keys",
            lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        )
    keys = [k.strip() for k in keys_raw.split(",") if k.strip()]
    for key in keys:
        try:
            if len(base64.urlsafe_b64decode(key.encode())) != 32:
                raise ValueError
        except ValueError:
            raise ConfigError(
                "ENVOL_ENCRYPTION_KEYS",
                "a key is not a valid Fernet key",
                "Each key is 32 bytes in URL-safe base64 (44 characters); "
                "generate one with `envol manage generate_encryption_key`.",
            ) from None
    return Secrets(secret_key=secret_key, encryption_keys=keys)


def database_url(where: Path) -> str:
    url = env_str("ENVOL_DATABASE_URL") or f"sqlite:///{where / 'envol.sqlite3'}"
    if not url.startswith(("sqlite://", "postgres://", "postgresql://")):
        raise ConfigError(
            "ENVOL_DATABASE_URL",
            f"unsupported scheme in '{url.split(':')[0]}'",
            "Use sqlite:////abs/path.sqlite3 or postgresql://user:pass@host:5432/db.",
        )
    return url
