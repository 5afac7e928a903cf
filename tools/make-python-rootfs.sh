#!/bin/sh
# Writes a small root filesystem with a Python 3 as a tar stream on stdout: the busybox root of
# tools/make-busybox-rootfs.sh plus the host's own Debian python3 (the interpreter, its standard
# library without tests, IDLE, tkinter and ensurepip, and every shared library they load, found
# with ldd). Made in a second or two without any network, for the tests that need a Python image
# (the daemon's docker-compose app) and not a Debian one (`berth image bootstrap` downloads).
# Reproducible for a given host (sorted entries, fixed owners and times).
#   tools/make-python-rootfs.sh > python.tar
set -eu
python=${PYTHON:-/usr/bin/python3}
[ -x "$python" ] || { echo "make-python-rootfs: $python not found (apt-get install python3)" >&2; exit 1; }
here=$(dirname "$0")
root=$(mktemp -d)
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT
"$here/make-busybox-rootfs.sh" | tar -C "$root" -xf -
# The interpreter's real file, its stdlib and its extension modules' directory.
set -- $("$python" -c 'import os, sys, sysconfig; print(os.path.realpath(sys.executable), sysconfig.get_paths()["stdlib"], sysconfig.get_config_var("DESTSHARED"), "python%d.%d" % sys.version_info[:2])')
exe=$1 stdlib=$2 dynload=$3 name=$4
mkdir -p "$root$(dirname "$exe")" "$root$stdlib"
cp "$exe" "$root$exe"
ln -sf "$name" "$root$(dirname "$exe")/python3"
# The stdlib's sources, less what a service never imports (tests, IDLE, tkinter, the static libpython
# of config-*, ...) and the bytecode caches (imports compile what they need): about 20 MB in all.
(cd "$stdlib" && tar --exclude=./test --exclude=./idlelib --exclude=./tkinter --exclude=./turtledemo --exclude=./ensurepip \
  --exclude=./lib2to3 --exclude=./distutils --exclude=./pydoc_data --exclude='./config-*' --exclude=./site-packages \
  --exclude=./dist-packages --exclude='*/tests' --exclude=__pycache__ -cf - .) | tar -C "$root$stdlib" -xf -
case "$dynload" in "$stdlib"/*) ;; *) mkdir -p "$root$dynload" && cp -a "$dynload/." "$root$dynload/" ;; esac
# Every shared library the interpreter and its extension modules load, at the path ldd names.
for lib in $(for f in "$exe" $(find "$dynload" -name '*.so'); do
  ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}'
done | sort -u); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
tar --sort=name --mtime=@0 --numeric-owner --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$root" -cf - .
