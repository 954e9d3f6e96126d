"""Backup commands: `memoria backup` and `memoria restore` of the Postgres database.

Redis is a cache: it is not backed up, and a restore clears memoria's keys in it, so nothing
cached from before the restore is read after it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path
from typing import Any

from configs.settings import Settings, get_settings

logger = logging.getLogger(__name__)


def register(sub: Any) -> None:
    """Add `backup` and `restore`."""
    bkp = sub.add_parser(
        "backup",
        help="back up the Postgres database (pg_dump), optionally encrypted and scheduled",
        description="Writes a pg_dump archive of everything memoria keeps (Redis is a cache, "
        "rebuilt). Encrypted when MEMORIA_BACKUP_PASSPHRASE or --passphrase-file gives a "
        "passphrase. With --every, runs until stopped, keeping the newest --keep backups.",
    )
    bkp.add_argument("--out", type=Path, default=None, help="the backup file to write")
    bkp.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="a directory for dated backups (default: MEMORIA_DATA_DIR/backups)",
    )
    bkp.add_argument("--passphrase-file", type=Path, default=None, help="encrypt with this")
    bkp.add_argument("--every", type=float, default=None, help="seconds between backups")
    bkp.add_argument("--keep", type=int, default=None, help="backups to keep in --dir")
    bkp.set_defaults(run=lambda args: backup(args), check=_check_backup)

    rst = sub.add_parser(
        "restore",
        help="restore a backup into a fresh database (or, with --force, over this one)",
        description="Replays a `memoria backup` file in one transaction, then grants the app "
        "role its privileges and clears memoria's Redis keys. Point MEMORIA_DATA_DIR (or "
        "DATABASE_URL) at the database to restore into.",
    )
    rst.add_argument("file", type=Path, help="the backup file")
    rst.add_argument("--passphrase-file", type=Path, default=None, help="decrypt with this")
    rst.add_argument("--force", action="store_true", help="replace what the database holds")
    rst.set_defaults(run=lambda args: asyncio.run(restore(args)))


def _check_backup(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.out and (args.dir or args.every or args.keep):
        parser.error("--out writes one file: use --dir with --every and --keep")


def _passphrase(settings: Settings, path: Path | None) -> str | None:
    if path is not None:
        text = path.read_text().strip()
        if not text:
            raise ValueError(f"{path} is empty: put the passphrase in it")
        return text
    secret = settings.memoria_backup_passphrase
    return secret.get_secret_value() if secret else None


def _database_url(settings: Settings) -> str:
    from storage.services import EmbeddedServices

    if settings.database_url:
        return settings.database_url
    return EmbeddedServices(settings.memoria_data_dir).ensure_postgres()


def backup(args: argparse.Namespace) -> int:
    """Write one backup, or one every `--every` seconds, keeping the newest `--keep`."""
    from storage import backup as backups

    s = get_settings()
    passphrase = _passphrase(s, args.passphrase_file)
    url = _database_url(s)
    directory = args.dir or s.memoria_data_dir / "backups"
    while True:
        if args.out:
            target = args.out
        else:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            target = directory / backups.backup_name(sealed=bool(passphrase))
        backups.dump(url, target, passphrase)
        sys.stdout.write(f"backup written: {target}{' (encrypted)' if passphrase else ''}\n")
        if args.keep:
            for gone in backups.prune(directory, args.keep):
                sys.stdout.write(f"older backup deleted: {gone}\n")
        sys.stdout.flush()
        if not args.every:
            return 0
        time.sleep(args.every)


async def restore(args: argparse.Namespace) -> int:
    """Restore a backup, then open storage once (grants, migrations) and clear Redis."""
    from storage import backup as backups
    from storage.database import Storage

    s = get_settings()
    if not args.file.is_file():
        raise ValueError(f"no backup file at {args.file}")
    url = _database_url(s)
    backups.restore(url, args.file, _passphrase(s, args.passphrase_file), force=args.force)
    async with Storage(s) as storage:
        keys = [key async for key in storage.redis.scan_iter(match="memoria:*")]
        if keys:
            await storage.redis.unlink(*keys)
    sys.stdout.write(f"restored {args.file}; {len(keys)} cached Redis keys cleared\n")
    return 0
