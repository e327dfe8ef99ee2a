"""A Python ssl client of a TLS echo server, for sockit's interop tests.

Sends SIZE pseudo-random bytes in irregular chunks while reading the echo, then shuts
down its TCP write side (a half-close under TLS: no more records from us) and reads to
the end. Prints "ok N" when every byte came back in order, else what went wrong; exit 1.

usage: py_echo_client.py PORT CAFILE [SIZE]
"""
import random
import socket
import ssl
import sys
import threading

port, cafile = int(sys.argv[1]), sys.argv[2]
size = int(sys.argv[3]) if len(sys.argv) > 3 else 1 << 20
rng = random.Random(862)
data = bytes(rng.getrandbits(8) for _ in range(size))

ctx = ssl.create_default_context(cafile=cafile)
raw = socket.create_connection(("127.0.0.1", port), timeout=20)
tls = ctx.wrap_socket(raw, server_hostname="localhost")


def send():
    at = 0
    while at < size:
        n = rng.choice([1, 7, 100, 1500, 4096, 16384, 65536, 100_000])
        tls.sendall(data[at:at + n])
        at += n
    # The TCP write side only: the TLS session stays readable.
    socket.socket.shutdown(tls, socket.SHUT_WR)  # not SSLSocket.shutdown: that drops TLS


sender = threading.Thread(target=send)
sender.start()
got = bytearray()
while True:
    try:
        chunk = tls.recv(65536)
    except ssl.SSLEOFError:
        break  # the server closed without close_notify
    if not chunk:
        break
    got += chunk
sender.join()
if bytes(got) != data:
    diff = next((i for i, (a, b) in enumerate(zip(got, data)) if a != b), min(len(got), size))
    print(f"mismatch: got {len(got)} of {size} bytes, first difference at {diff}")
    sys.exit(1)
print(f"ok {len(got)}")
