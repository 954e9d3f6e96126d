"""Backups of the Postgres database with the bundled `pg_dump` / `pg_restore`, optionally encrypted.

Postgres holds everything memoria keeps; Redis is a cache rebuilt from it, so a backup is a
`pg_dump` custom-format archive of the database. With a passphrase the archive is encrypted
as it streams (no plaintext touches the disk): Fernet (AES-128-CBC + HMAC-SHA256) in frames,
under a key derived from the passphrase with scrypt and a random salt. Each frame carries its
index and whether it is the last, so a reordered or truncated file fails to decrypt.

Restoring replays the archive into an empty database (or, forced, over one), without its
owners and grants: the next start grants the app role its privileges again.
"""

from __future__ import annotations

import base64
import os
import shutil
import struct
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import psycopg
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"MEMORIA-BACKUP\x01"
SALT_BYTES = 16
FRAME_BYTES = 1 << 20
# scrypt cost: ~0.1 s and 32 MiB to derive a key, per file.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 15, 8, 1
PLAIN_SUFFIX, SEALED_SUFFIX = ".dump", ".dump.enc"


class BackupError(ValueError):
    """A backup or restore that could not be done; the message says why and what to do."""


def tool(name: str) -> Path:
    """Return the path of a bundled Postgres client (`pg_dump`, `pg_restore`)."""
    from storage.services import _pgserver

    found = Path(_pgserver().__file__).parent / "pginstall" / "bin" / name
    if found.exists():
        return found
    on_path = shutil.which(name)
    if on_path is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools")
    return Path(on_path)


def _key(passphrase: str, salt: bytes) -> Fernet:
    kdf = Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return Fernet(base64.urlsafe_b64encode(kdf.derive(passphrase.encode())))


def _frames(source: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    """Yield `source` in frames, each with whether it is the last (at least one frame)."""
    chunk = source.read(FRAME_BYTES)
    while True:
        following = source.read(FRAME_BYTES)
        yield chunk, not following
        if not following:
            return
        chunk = following


def seal(source: BinaryIO, target: BinaryIO, passphrase: str) -> None:
    """Encrypt `source` into `target` under `passphrase`, frame by frame."""
    salt = os.urandom(SALT_BYTES)
    fernet = _key(passphrase, salt)
    target.write(MAGIC + salt)
    for index, (chunk, last) in enumerate(_frames(source)):
        token = fernet.encrypt(struct.pack(">Q?", index, last) + chunk)
        target.write(struct.pack(">I", len(token)) + token)


def unseal(source: BinaryIO, target: BinaryIO, passphrase: str) -> None:
    """Decrypt what `seal` wrote from `source` into `target`.

    Raises:
        BackupError: wrong passphrase, or a damaged, truncated or reordered file.
    """
    if source.read(len(MAGIC)) != MAGIC:
        raise BackupError("not an encrypted memoria backup")
    fernet = _key(passphrase, source.read(SALT_BYTES))
    index = 0
    while header := source.read(4):
        (size,) = struct.unpack(">I", header)
        try:
            plain = fernet.decrypt(source.read(size))
        except InvalidToken as exc:
            raise BackupError("wrong passphrase, or the backup file is damaged") from exc
        frame, last = struct.unpack(">Q?", plain[:9])
        if frame != index:
            raise BackupError("the backup file is damaged: its parts are out of order")
        target.write(plain[9:])
        index += 1
        if last:
            return
    raise BackupError("the backup file is truncated: its last part is missing")


def is_sealed(path: Path) -> bool:
    """Whether `path` is an encrypted backup."""
    with path.open("rb") as f:
        return f.read(len(MAGIC)) == MAGIC


def backup_name(now: datetime | None = None, *, sealed: bool) -> str:
    """Return a backup's file name, e.g. memoria-20261203T140000Z.dump.enc (sorts by time)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"memoria-{stamp}{SEALED_SUFFIX if sealed else PLAIN_SUFFIX}"


def dump(database_url: str, target: Path, passphrase: str | None = None) -> Path:
    """Write a backup of the database to `target` (encrypted with a passphrase); return it.

    The file appears only once complete (written beside it, then renamed), readable by its
    owner alone. The connecting role must read every row: a superuser or a BYPASSRLS role.
    """
    partial = target.with_name(target.name + ".partial")
    cmd = [str(tool("pg_dump")), "--format=custom", f"--dbname={database_url}"]
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            assert proc.stdout is not None and proc.stderr is not None
            if passphrase:
                seal(proc.stdout, out, passphrase)
            else:
                shutil.copyfileobj(proc.stdout, out, FRAME_BYTES)
            errors = proc.stderr.read().decode(errors="replace")
            if proc.wait() != 0:
                raise BackupError(f"pg_dump failed: {errors.strip()}")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups in `directory`; return those deleted."""
    if keep < 1:
        raise BackupError("--keep must be at least 1")
    backups = sorted(
        p for p in directory.glob("memoria-*") if p.name.endswith((PLAIN_SUFFIX, SEALED_SUFFIX))
    )
    stale = backups[:-keep]
    for path in stale:
        path.unlink()
    return stale


def holds_memoria(database_url: str) -> bool:
    """Whether the database already holds memoria's tables."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("SELECT to_regclass('memoria_migrations') IS NOT NULL").fetchone()
    return bool(row and row[0])


def restore(
    database_url: str, source: Path, passphrase: str | None = None, *, force: bool = False
) -> None:
    """Restore a backup into the database, in one transaction (all of it or nothing).

    Raises:
        BackupError: the database holds memoria data (and not `force`), the backup is
            encrypted and no passphrase was given (or the wrong one), or pg_restore failed.
    """
    if holds_memoria(database_url) and not force:
        raise BackupError(
            "the database already holds memoria data: restore into a fresh data directory "
            "(MEMORIA_DATA_DIR) or database, or pass --force to replace what it holds"
        )
    sealed = is_sealed(source)
    if sealed and not passphrase:
        raise BackupError("the backup is encrypted: give its passphrase (--passphrase-file)")
    cmd = [
        str(tool("pg_restore")),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={database_url}",
    ]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stdin is not None and proc.stderr is not None
    failure: BaseException | None = None
    try:
        with source.open("rb") as f:
            if sealed:
                unseal(f, proc.stdin, passphrase or "")
            else:
                shutil.copyfileobj(f, proc.stdin, FRAME_BYTES)
    except (BackupError, BrokenPipeError) as exc:
        failure = exc
        if isinstance(exc, BackupError):
            proc.kill()  # nothing of a file that fails to decrypt may commit
    finally:
        proc.stdin.close()
    errors = proc.stderr.read().decode(errors="replace")
    code = proc.wait()
    if isinstance(failure, BackupError):
        raise failure
    if code != 0:
        raise BackupError(f"pg_restore failed, nothing restored: {errors.strip()}")
