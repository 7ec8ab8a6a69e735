"""Process and port helpers for scripts/emulators.sh (Linux /proc; standard library only).

  proc.py health URL        exit 0 when URL answers 2xx within 2 s
  proc.py listeners PORT    the pids listening on TCP PORT, one a line ("?" when
                            the socket's owner cannot be seen); exit 1 if none
  proc.py start-time PID    the process's start time (clock ticks since boot), to
                            tell a process from a later one that got the same pid
  proc.py describe PID      "PID: its command line"
"""
import os
import sys
import urllib.request


def health(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return 200 <= r.status < 300
    except Exception:
        return False


def listening_inodes(port):
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    local, state, inode = parts[1], parts[3], parts[9]
                    if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                        inodes.add(inode)
        except FileNotFoundError:
            pass
    return inodes


def listeners(port):
    inodes = listening_inodes(port)
    if not inodes:
        return []
    pids, seen = [], set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    seen.add(link[8:-1])
                    if pid not in pids:
                        pids.append(pid)
        except OSError:
            continue
    if len(seen) < len(inodes):
        pids.append("?")
    return pids


def start_time(pid):
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    # The command name (field 2) may hold spaces and parentheses: count after the last ')'.
    return stat.rsplit(")", 1)[1].split()[19]


def describe(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        cmd = "(cannot read its command line)"
    return f"{pid}: {cmd}"


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    verb, arg = argv[1], argv[2]
    if verb == "health":
        return 0 if health(arg) else 1
    if verb == "listeners":
        pids = listeners(int(arg))
        print("\n".join(pids))
        return 0 if pids else 1
    if verb == "start-time":
        try:
            print(start_time(arg))
            return 0
        except OSError:
            return 1
    if verb == "describe":
        print(describe(arg))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
