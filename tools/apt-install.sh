#!/bin/sh
# SPDX-License-Identifier: MIT
# apt-install.sh PKG... -- install Debian packages, waiting (up to 10
# minutes) for another apt or dpkg to let go of its lock instead of failing.

[ $# -gt 0 ] || exit 0
echo "tools/apt-install.sh: installing $*"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
LOCK="-o DPkg::Lock::Timeout=600"
$SUDO apt-get $LOCK update -qq &&
  $SUDO apt-get $LOCK install -y -qq --no-install-recommends "$@" >/dev/null
