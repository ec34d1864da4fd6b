# SPDX-License-Identifier: MIT
"""sqlite_tsm -- tsm, time-series metrics inside SQLite, for Python.

    import sqlite3, sqlite_tsm
    db = sqlite3.connect("metrics.db")
    sqlite_tsm.load(db)

The package ships the loadable extension (tsm.so) beside this file.
"""
import os

__all__ = ["load", "loadable_path"]


def loadable_path():
    """The path of the tsm loadable extension shipped with this package,
    without its suffix (SQLite adds .so, as load_extension does)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "tsm")


def load(conn):
    """Load tsm into conn: a sqlite3 connection, or one of pysqlite3 or
    apsw.  Extension loading is enabled for the load and disabled again.
    Load it into every connection that touches the store."""
    if not hasattr(conn, "enable_load_extension"):
        raise RuntimeError(
            "sqlite_tsm: this Python's sqlite3 module cannot load extensions "
            "(it was built without --enable-loadable-sqlite-extensions, as "
            "pyenv builds are): use Debian's /usr/bin/python3, rebuild Python "
            "with that option, or use apsw or pysqlite3")
    conn.enable_load_extension(True)
    try:
        conn.load_extension(loadable_path())
    finally:
        conn.enable_load_extension(False)
