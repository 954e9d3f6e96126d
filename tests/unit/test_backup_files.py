"""Backup files without a database: encryption frames and how many backups are kept."""

from __future__ import annotations

import io

import pytest

from storage import backup

PASSPHRASE = "correct horse battery staple"


def test_a_truncated_or_reordered_encrypted_backup_is_refused(monkeypatch):
    monkeypatch.setattr(backup, "FRAME_BYTES", 16)
    plain = bytes(range(256)) * 4
    sealed = io.BytesIO()
    backup.seal(io.BytesIO(plain), sealed, PASSPHRASE)
    data = sealed.getvalue()
    out = io.BytesIO()
    backup.unseal(io.BytesIO(data), out, PASSPHRASE)
    assert out.getvalue() == plain
    start = len(backup.MAGIC) + backup.SALT_BYTES
    frames, at = [], start
    while at < len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        frames.append(data[at : at + 4 + size])
        at += 4 + size
    head = data[:start]
    for damaged, says in (
        (head + b"".join(frames[:-1]), "truncated"),
        (head + frames[1] + frames[0] + b"".join(frames[2:]), "out of order"),
        (data[:-5], "damaged"),
    ):
        with pytest.raises(backup.BackupError, match=says):
            backup.unseal(io.BytesIO(damaged), io.BytesIO(), PASSPHRASE)
    with pytest.raises(backup.BackupError, match="wrong passphrase"):
        backup.unseal(io.BytesIO(data), io.BytesIO(), "another")


def test_only_the_newest_backups_are_kept(tmp_path):
    names = [f"memoria-2026120{d}T000000Z.dump.enc" for d in range(1, 6)]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("kept")
    gone = backup.prune(tmp_path, keep=2)
    assert sorted(p.name for p in gone) == names[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == [*names[3:], "notes.txt"]
