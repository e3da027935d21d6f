"""`python -m tests.e2e.netprobe TIMEOUT < targets.json`: a TCP connection to every
`[host, port]` at once; prints a JSON list of each one's outcome, in order: `answered`
(connected), `refused` (a reset or an ICMP error came back), `silent` (nothing within TIMEOUT
seconds) or `unroutable` (this network has no route to it). Run inside another network
namespace by tests/e2e/test_host_exposure.py."""

import asyncio
import errno
import json
import sys


async def outcome(host: str, port: int, timeout: float) -> str:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except TimeoutError:
        return "silent"
    except OSError as exc:
        return "unroutable" if exc.errno == errno.ENETUNREACH else "refused"
    writer.close()
    return "answered"


async def probe(targets: list[tuple[str, int]], timeout: float) -> list[str]:
    return list(await asyncio.gather(*(outcome(h, p, timeout) for h, p in targets)))


if __name__ == "__main__":
    targets = [(str(host), int(port)) for host, port in json.load(sys.stdin)]
    print(json.dumps(asyncio.run(probe(targets, float(sys.argv[1])))))
