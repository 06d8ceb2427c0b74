#!/bin/sh
# Install every Debian package the build, the demo and the tests need.
set -e
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
PKGS="build-essential make gcc binutils kconfig-frontends
      libcmocka-dev libxen-dev liblz4-dev zlib1g-dev libxxhash-dev liburcu-dev
      linux-libc-dev
      python3 xenstore-utils clang-14 libclang-rt-14-dev
      liblzma-dev libzstd-dev libbz2-dev xz-utils zstd lz4 bzip2 gzip
      e2fsprogs qemu-system-x86 liburing-dev libseccomp-dev xxhash
      libnbd-dev qemu-utils iproute2 iputils-ping"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $PKGS
