/** The TLS client's pure parts: how a failed handshake maps to an exit code and a line. */

import assert from "node:assert/strict";
import { clientTlsError } from "../lib/tls.ts";
import { tlsClientOptions } from "../lib/tls_flags.ts";

const invalid = (text: string) => new Deno.errors.InvalidData(text);

Deno.test("clientTlsError: certificates rustls rejects are exit 8 with the reason and a hint", () => {
  const cases: [Error, RegExp, RegExp][] = [
    [invalid("invalid peer certificate: UnknownIssuer"), /not signed by a trusted CA/, /--ca FILE/],
    [
      invalid(
        "invalid peer certificate: certificate expired: verification time 1796171975 (UNIX), " +
          "but certificate is not valid after 1577923200 (218248775 seconds ago)",
      ),
      /expired on 2020-01-02T00:00:00\.000Z/,
      /--insecure/,
    ],
    [
      invalid(
        'invalid peer certificate: certificate not valid for name "a.example"; certificate ' +
          'is only valid for DnsName("localhost")',
      ),
      /not valid for "a\.example" \(only for DnsName\("localhost"\)\)/,
      /--servername/,
    ],
    [
      invalid("invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))"),
      /a CA certificate/,
      /leaf certificate/,
    ],
  ];
  for (const [err, reason, hint] of cases) {
    const mapped = clientTlsError(err, "127.0.0.1:7", "a.example");
    assert.equal(mapped.exitCode, 8, err.message);
    assert.match(mapped.message, /^tls 127\.0\.0\.1:7: /);
    assert.match(mapped.message, reason);
    assert.match(mapped.hint!, hint);
  }
});

Deno.test("clientTlsError: a peer that does not speak TLS is exit 6", () => {
  for (
    const err of [
      invalid("received corrupt message of type InvalidContentType"),
      new Deno.errors.UnexpectedEof("unexpected end of file"),
      new Deno.errors.ConnectionReset("reset"),
    ]
  ) {
    const mapped = clientTlsError(err, "127.0.0.1:7", "localhost");
    assert.equal(mapped.exitCode, 6, err.message);
    assert.match(mapped.message, /does not speak TLS/);
  }
});

Deno.test("tlsClientOptions: TLS flags need --tls; --insecure is said once", async () => {
  const notes: string[] = [];
  const note = (text: string) => notes.push(text);
  const off = { tls: false, insecure: false };
  assert.equal(await tlsClientOptions(off, note), undefined);
  for (const stray of [{ ca: "x" }, { servername: "x" }, { insecure: true }]) {
    await assert.rejects(tlsClientOptions({ ...off, ...stray }, note), /add --tls/);
  }
  await assert.rejects(
    tlsClientOptions({ tls: true, insecure: true, ca: "x" }, note),
    /cannot be used together/,
  );
  await assert.rejects(
    tlsClientOptions({ tls: true, insecure: false, ca: "/nonexistent/ca.pem" }, note),
    /--ca "\/nonexistent\/ca\.pem": cannot read it/,
  );
  assert.deepStrictEqual(notes, []);
  const insecure = await tlsClientOptions({ tls: true, insecure: true }, note);
  assert.equal(insecure?.insecure, true);
  assert.equal(notes.length, 1);
  assert.match(notes[0], /--insecure: the server's certificate is not verified/);
});
