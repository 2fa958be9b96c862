#!/usr/bin/env python3
"""fuse-hang.py MOUNTPOINT: mount a FUSE file system that never answers.

The kernel's FUSE_INIT request is never read, so every call on the mount
(statfs included) waits until this process goes away, which closes
/dev/fuse, aborts the connection and makes those calls fail with ENOTCONN.
A stand-in for an NFS server that stopped answering. Prints "mounted" once
the mount exists; the caller unmounts.
"""
import ctypes
import os
import signal
import sys

mp = sys.argv[1]
fd = os.open("/dev/fuse", os.O_RDWR)
libc = ctypes.CDLL(None, use_errno=True)
opts = "fd=%d,rootmode=40000,user_id=0,group_id=0" % fd
if libc.mount(b"lazuli-test", mp.encode(), b"fuse.lazuli-test", 0, opts.encode()) != 0:
    sys.exit("fuse-hang: mount %s: %s" % (mp, os.strerror(ctypes.get_errno())))
print("mounted", flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    signal.pause()
