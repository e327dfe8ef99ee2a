"""A Python ssl client of a TLS echo server, for sockit's interop tests.

Sends SIZE pseudo-random bytes in irregular chunks, reading each chunk's echo before
sending the next (one thread: an SSL object must not be read and written from two
threads at once), then shuts down its TCP write side (a half-close under TLS: no more
records from us) and reads to the end. Prints "ok N" when every byte came back in
order and nothing more, else what went wrong, and exits 1.

usage: py_echo_client.py PORT CAFILE [SIZE]
"""
import random
import socket
import ssl
import sys

port, cafile = int(sys.argv[1]), sys.argv[2]
size = int(sys.argv[3]) if len(sys.argv) > 3 else 1 << 20
rng = random.Random(862)
data = bytes(rng.getrandbits(8) for _ in range(size))

ctx = ssl.create_default_context(cafile=cafile)
raw = socket.create_connection(("127.0.0.1", port), timeout=20)
tls = ctx.wrap_socket(raw, server_hostname="localhost")


def receive():
    try:
        return tls.recv(65536)
    except ssl.SSLEOFError:
        return b""  # the server closed without close_notify


got = bytearray()
at = 0
while at < size:
    n = rng.choice([1, 7, 100, 1500, 4096, 16384, 65536, 100_000])
    tls.sendall(data[at:at + n])
    at = min(at + n, size)
    while len(got) < at:
        chunk = receive()
        if not chunk:
            break
        got += chunk
    if len(got) < at:
        break
# The TCP write side only (not SSLSocket.shutdown, which drops TLS): the echo server
# sees the end of input, has nothing left to send, and closes.
socket.socket.shutdown(tls, socket.SHUT_WR)
while True:
    chunk = receive()
    if not chunk:
        break
    got += chunk
if bytes(got) != data:
    diff = next((i for i, (a, b) in enumerate(zip(got, data)) if a != b), min(len(got), size))
    print(f"mismatch: got {len(got)} of {size} bytes, first difference at {diff}")
    sys.exit(1)
print(f"ok {len(got)}")
