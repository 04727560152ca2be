# python3-zeroconf registering a _cloudlet._tcp service on cue (the baseline of
# bench/discovery.ts). stdin lines: "announce NAME" -> prints {"t0_ns": ...} (CLOCK_MONOTONIC,
# taken before register_service, which probes then announces) and {"up": NAME};
# "withdraw" -> unregisters (goodbyes) and prints {"down": NAME}.
#   zc-register.py ADDRESS PORT
import json
import socket
import sys
import time

from zeroconf import ServiceInfo, Zeroconf

address, port = sys.argv[1], int(sys.argv[2])
zc = Zeroconf()
host = socket.gethostname()
current = None
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    parts = line.split()
    if parts[:1] == ["announce"]:
        name = parts[1]
        current = ServiceInfo(
            "_cloudlet._tcp.local.",
            f"{name}._cloudlet._tcp.local.",
            addresses=[socket.inet_aton(address)],
            port=port,
            properties={"encryption": "disabled"},
            server=f"{host}.local.",
        )
        t0 = time.monotonic_ns()
        print(json.dumps({"t0_ns": str(t0), "name": name}), flush=True)
        zc.register_service(current)
        print(json.dumps({"up": name}), flush=True)
    elif parts[:1] == ["withdraw"] and current is not None:
        zc.unregister_service(current)
        print(json.dumps({"down": current.name}), flush=True)
        current = None
zc.close()
