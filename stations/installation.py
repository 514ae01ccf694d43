"""The installation's id, pinned outside its database (issue 27).

The witness directory keeps each database's checkpoints under its `audit.installation` id. Read
from the database alone, a database made again or a row rewritten would move the witnesses to a
new, empty directory without a word, and `verify` would compare the checkpoints with nothing. So
the id is pinned: `STATIONS_INSTALLATION_ID`, or the id found at the first start, stored once in
the data directory; a database whose id differs from the pinned one is refused.
"""

import os
import tempfile
from pathlib import Path

import psycopg

from stations.settings import Settings


class InstallationChanged(RuntimeError):
    """The database is not the installation the witnesses were pinned to."""


def pinned_installation(settings: Settings, database_url: str) -> str:
    with psycopg.connect(database_url) as conn:
        found = str(conn.execute("SELECT id FROM audit.installation").fetchone()[0])
    pinned = settings.installation_id or _stored_once(settings.installation_path, found)
    if pinned != found:
        raise InstallationChanged(
            f"数据库的安装标识 {found} 不是固定的 {pinned}：见证目录会悄然改变 / the database's installation id {found}"
            f" is not the pinned {pinned}, so the witness directory would change without a word: restore the"
            f" database, or pin the new id on purpose (STATIONS_INSTALLATION_ID, or remove {settings.installation_path})")
    return pinned


def _stored_once(path: Path, found: str) -> str:
    """The id stored in `path`; stored there now (`found`) if none is: whole, by a link that fails
    when another process stored one first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".installation-", delete=False) as draft:
        draft.write(found + "\n")
    try:
        os.link(draft.name, path)
        return found
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    finally:
        os.unlink(draft.name)
