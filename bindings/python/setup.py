# SPDX-License-Identifier: MIT
"""Builds the sqlite-tsm distribution from the tsm repository, offline:

    pip install --no-build-isolation ./bindings/python

runs `make dist/tsm.so` at the root of the repository and ships the
extension inside the package (a platform wheel).  TSM_LOADABLE=path/tsm.so
ships an extension built elsewhere instead.  The version is TSM_VERSION of
ext/tsm.h, the one place it is written.
"""
import os
import re
import shutil
import subprocess

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def tsm_version():
    with open(os.path.join(ROOT, "ext", "tsm.h")) as f:
        return re.search(r'^#define TSM_VERSION "([^"]+)"', f.read(), re.M).group(1)


class BuildPyWithExtension(build_py):
    """build_py, then the extension into the package."""

    def run(self):
        super().run()
        so = os.environ.get("TSM_LOADABLE")
        if not so:
            subprocess.check_call(["make", "-s", "-C", ROOT, "dist/tsm.so"])
            so = os.path.join(ROOT, "dist", "tsm.so")
        dest = os.path.join(self.build_lib, "sqlite_tsm")
        self.mkpath(dest)
        shutil.copyfile(so, os.path.join(dest, "tsm.so"))


class BinaryDistribution(Distribution):
    """The wheel holds a native library: tag it for the platform."""

    def has_ext_modules(self):
        return True


setup(
    name="sqlite-tsm",
    version=tsm_version(),
    description="tsm: time-series metrics inside SQLite (loadable extension)",
    license="MIT",
    packages=["sqlite_tsm"],
    cmdclass={"build_py": BuildPyWithExtension},
    distclass=BinaryDistribution,
    python_requires=">=3.7",
    zip_safe=False,
)
