# Debian's python3-zeroconf as a device would use it (pycloud's own CloudletFinder does
# the same: a ServiceBrowser, then get_service_info per name). Prints one JSON line per
# event and exits after the given seconds. Run with /usr/bin/python3 (Debian's, which has zeroconf).
#   zc-browse.py _cloudlet._tcp.local. SECONDS
import json
import sys
import threading
import time

from zeroconf import ServiceBrowser, ServiceListener, Zeroconf

start = time.monotonic()
# the browser's listener runs in zeroconf's thread, "browsing" in the main one: print() writes
# the text and the newline apart, so two threads printing at once made one line of two objects
out = threading.Lock()


def emit(obj):
    with out:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def say(event, name, info=None, heard_ns=None):
    # heard_ns / resolved_ns: CLOCK_MONOTONIC (as strings: beyond 2^53 in JSON numbers), the
    # same clock as Node's process.hrtime.bigint() (bench/discovery.ts)
    line = {"event": event, "name": name, "t": round(time.monotonic() - start, 4), "resolved_ns": str(time.monotonic_ns())}
    if heard_ns is not None:
        line["heard_ns"] = str(heard_ns)
    if info is not None:
        line.update(
            server=info.server,
            port=info.port,
            addresses=info.parsed_addresses(),
            txt={k.decode(): (v.decode() if v is not None else None) for k, v in info.properties.items()},
        )
    emit(line)


class Listener(ServiceListener):
    def add_service(self, zc, type_, name):
        heard = time.monotonic_ns()
        say("add", name, zc.get_service_info(type_, name, timeout=3000), heard)

    def update_service(self, zc, type_, name):
        say("update", name, zc.get_service_info(type_, name, timeout=3000))

    def remove_service(self, zc, type_, name):
        say("remove", name)


zc = Zeroconf()
ServiceBrowser(zc, sys.argv[1], Listener())
emit({"event": "browsing", "t": round(time.monotonic() - start, 4)})
try:
    time.sleep(float(sys.argv[2]))
finally:
    zc.close()
