# SPDX-License-Identifier: MIT
"""Tests of the installed sqlite_tsm package (test/python.sh runs them in
a virtual environment where it was pip-installed)."""
import os
import sqlite3
import tempfile
import unittest

import sqlite_tsm


class TestSqliteTsm(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "m.db")

    def tearDown(self):
        self.dir.cleanup()

    def test_loadable_path(self):
        path = sqlite_tsm.loadable_path()
        self.assertTrue(os.path.isabs(path))
        self.assertTrue(os.path.exists(path + ".so"), path)
        # shipped inside the installed package, not found in the checkout
        self.assertEqual(os.path.dirname(path), os.path.dirname(sqlite_tsm.__file__))

    def test_load_record_query(self):
        db = sqlite3.connect(self.path)
        sqlite_tsm.load(db)
        with db:
            db.executemany("INSERT INTO tsm_samples(metric, ts, value) VALUES (?, ?, ?)",
                           [("up", 1000 * i, i) for i in range(10)])
        other = sqlite3.connect(self.path)
        sqlite_tsm.load(other)
        self.assertEqual(other.execute("SELECT count(*), sum(value) FROM tsm_samples")
                         .fetchone(), (10, 45.0))
        self.assertEqual(other.execute("SELECT count FROM tsm_query('up', 0, 10000, '5s')")
                         .fetchall(), [(5,), (5,)])
        # loading is disabled again after the load
        with self.assertRaises(sqlite3.OperationalError):
            other.execute("SELECT load_extension('nothing')")
        db.close()
        other.close()

    def test_version_matches_the_distribution(self):
        from importlib.metadata import version
        db = sqlite3.connect(":memory:")
        sqlite_tsm.load(db)
        self.assertEqual(db.execute("SELECT tsm_version()").fetchone()[0],
                         version("sqlite-tsm"))

    def test_no_extension_loading(self):
        class NoLoading:
            pass
        with self.assertRaisesRegex(RuntimeError, "cannot load extensions"):
            sqlite_tsm.load(NoLoading())


if __name__ == "__main__":
    unittest.main()
