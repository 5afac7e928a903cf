#!/usr/bin/env python3
"""Normalise street addresses with libaddr, a native C library, via ctypes.

    normalize.py "12 Main St." "221B Baker St, Apt #4"
    printf '12 Main St.\\n' | normalize.py

Addresses come from the arguments, or one per line on stdin when there are
none. The first output line names the libaddr version and the path the
dynamic linker resolved, which shows the native library really ran.
Standard library only.
"""

import argparse
import ctypes
import ctypes.util
import os
import sys

SONAME = "libaddr.so.1"  # ABI version 1; what `make install && ldconfig` provides


class LibraryError(Exception):
    pass


def load_libaddr():
    """Load libaddr by SONAME, falling back to ctypes.util.find_library."""
    try:
        return ctypes.CDLL(SONAME)
    except OSError as err:
        first_error = err
    found = ctypes.util.find_library("addr")
    if found is not None:
        try:
            return ctypes.CDLL(found)
        except OSError as err:
            raise LibraryError(f"found {found!r} but cannot load it: {err}") from err
    raise LibraryError(str(first_error))


class _LinkMap(ctypes.Structure):
    # The leading fields of glibc's struct link_map (<link.h>).
    _fields_ = [("l_addr", ctypes.c_void_p), ("l_name", ctypes.c_char_p)]


RTLD_DI_LINKMAP = 2  # <dlfcn.h>


def loaded_path(lib):
    """The path the dynamic linker resolved for lib (glibc dlinfo), else its name."""
    try:
        dlinfo = ctypes.CDLL(None).dlinfo
    except AttributeError:  # not glibc
        return lib._name
    link_map = ctypes.POINTER(_LinkMap)()
    if dlinfo(ctypes.c_void_p(lib._handle), RTLD_DI_LINKMAP, ctypes.byref(link_map)) != 0:
        return lib._name
    return os.fsdecode(link_map.contents.l_name or lib._name.encode())


class Normalizer:
    def __init__(self, lib):
        lib.addr_version.argtypes = []
        lib.addr_version.restype = ctypes.c_char_p
        lib.addr_normalize.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
        lib.addr_normalize.restype = ctypes.c_size_t
        self._lib = lib
        self.path = loaded_path(lib)

    def version(self):
        return self._lib.addr_version().decode("ascii")

    def normalize(self, address):
        data = os.fsencode(address)
        size = 2 * len(data) + 64  # expansions grow text; retry if too small
        while True:
            buf = ctypes.create_string_buffer(size)
            needed = self._lib.addr_normalize(data, buf, size)
            if needed < size:
                return os.fsdecode(buf.value)
            size = needed + 1


def read_addresses(args):
    if args.addresses:
        return args.addresses
    if sys.stdin.isatty():
        print("reading addresses from stdin, one per line (Ctrl-D to finish)", file=sys.stderr)
    return [line.rstrip("\r\n") for line in sys.stdin if line.strip()]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Normalise street addresses with libaddr.")
    parser.add_argument("addresses", nargs="*", metavar="ADDRESS",
                        help="addresses to normalise (default: read lines from stdin)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print only the normalised forms, one per line")
    args = parser.parse_args(argv)

    try:
        normalizer = Normalizer(load_libaddr())
    except LibraryError as err:
        print(f"normalize.py: error: cannot load the native library libaddr ({SONAME}): {err}\n"
              "Build and install it first: cd libaddr && ./configure && make && make install && ldconfig\n"
              "(or point LD_LIBRARY_PATH at the directory holding libaddr.so.1)", file=sys.stderr)
        return 1

    if not args.quiet:
        print(f"libaddr {normalizer.version()} loaded from {normalizer.path}")
    for address in read_addresses(args):
        normalized = normalizer.normalize(address)
        print(normalized if args.quiet else f"{address} -> {normalized}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
