/** Unit and property tests of address parsing: HOST:PORT, [v6]:PORT, bare hosts. */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  formatAddress,
  formatNetAddr,
  isIPLiteral,
  isIPv4,
  isIPv6,
  parseAddress,
  parsePort,
} from "../lib/address.ts";
import { UsageError } from "../lib/errors.ts";

function bad(text: string): string {
  try {
    parseAddress(text, 7);
  } catch (err) {
    assert(err instanceof UsageError, `expected a UsageError, got ${err}`);
    assert.equal(err.exitCode, 2);
    assert(err.message.startsWith(`address "${text}": `), err.message);
    return err.message;
  }
  assert.fail(`"${text}" parsed`);
}

Deno.test("parseAddress: HOST:PORT", () => {
  assert.deepStrictEqual(parseAddress("127.0.0.1:7007", 7), { host: "127.0.0.1", port: 7007 });
  assert.deepStrictEqual(parseAddress("example.org:13", 7), { host: "example.org", port: 13 });
  assert.deepStrictEqual(parseAddress("localhost:0", 7, { allowPortZero: true }), {
    host: "localhost",
    port: 0,
  });
  assert.deepStrictEqual(parseAddress("h:65535", 7), { host: "h", port: 65535 });
});

Deno.test("parseAddress: [v6]:PORT and [v6]", () => {
  assert.deepStrictEqual(parseAddress("[::1]:7007", 7), { host: "::1", port: 7007 });
  assert.deepStrictEqual(parseAddress("[fe80::1%eth0]:22", 7), { host: "fe80::1%eth0", port: 22 });
  assert.deepStrictEqual(parseAddress("[::ffff:127.0.0.1]:80", 7), {
    host: "::ffff:127.0.0.1",
    port: 80,
  });
  assert.deepStrictEqual(parseAddress("[::1]", 13), { host: "::1", port: 13 });
});

Deno.test("parseAddress: a bare host takes the default port", () => {
  assert.deepStrictEqual(parseAddress("time.nist.gov", 13), { host: "time.nist.gov", port: 13 });
  assert.deepStrictEqual(parseAddress("10.0.0.1", 37), { host: "10.0.0.1", port: 37 });
});

Deno.test("parseAddress: a bare IPv6 literal takes the default port", () => {
  assert.deepStrictEqual(parseAddress("::1", 13), { host: "::1", port: 13 });
  assert.deepStrictEqual(parseAddress("2001:db8::7", 7), { host: "2001:db8::7", port: 7 });
  assert.deepStrictEqual(parseAddress("::", 7), { host: "::", port: 7 });
});

Deno.test("parseAddress: bad ports are usage errors naming the port", () => {
  assert.match(bad("host:70000"), /"70000" is not a port number \(0-65535\)/);
  assert.match(bad("host:http"), /"http" is not a port number/);
  assert.match(bad("host:-1"), /"-1" is not a port number/);
  assert.match(bad("host:"), /"" is not a port number/);
  assert.match(bad("[::1]:99999"), /"99999" is not a port number/);
  assert.match(bad("[::1]:"), /"" is not a port number/);
});

Deno.test("parseAddress: empty text and a missing host", () => {
  assert.match(bad(""), /empty/);
  assert.match(bad(":7"), /missing host/);
});

Deno.test("parseAddress: unbalanced or misplaced brackets", () => {
  assert.match(bad("[::1"), /missing "]"/);
  assert.match(bad("[::1:7"), /missing "]"/);
  bad("::1]:7");
  bad("host]");
  bad("host]:7");
  bad("[[::1]:7");
  bad("[::1]]:7");
  assert.match(bad("[::1]7"), /expected ":PORT" after "]"/);
  assert.match(bad("[example.org]:7"), /brackets are for IPv6/);
});

Deno.test("parseAddress: an IPv6 address with a port needs brackets", () => {
  assert.match(bad("2001:db8::1:bogus"), /\[v6\]:PORT/);
  assert.match(bad("example.org:80:90"), /\[v6\]:PORT/);
});

Deno.test("parseAddress: an IPv6 address with a port but no brackets names the fix", () => {
  const err = (() => {
    try {
      parseAddress("::1:38425", 7);
    } catch (err) {
      return err;
    }
  })();
  assert(err instanceof UsageError);
  assert.equal(
    err.message,
    'address "::1:38425": an IPv6 address with a port is written in brackets',
  );
  assert.equal(err.hint, 'write "[::1]:38425"');
  assert.match(bad("2001:db8::1:65535"), /in brackets/);
});

Deno.test("parseAddress: a bare IPv6 address whose last group looks like a port gets a note", () => {
  const notes: string[] = [];
  assert.deepStrictEqual(parseAddress("::1:123", 7, { onNote: (n) => notes.push(n) }), {
    host: "::1:123",
    port: 7,
  });
  assert.equal(notes.length, 1);
  assert.match(
    notes[0],
    /IPv6 address ::1:123 \(port 7\); for port 123 on ::1 write "\[::1\]:123"/,
  );
  parseAddress("2001:db8::7", 7, { onNote: (n) => notes.push(n) });
  parseAddress("::ffff:127.0.0.1", 7, { onNote: (n) => notes.push(n) });
  parseAddress("[::1]:123", 7, { onNote: (n) => notes.push(n) });
  assert.equal(notes.length, 1, notes.join("\n"));
});

Deno.test("parseAddress: port 0 cannot be dialled unless allowed", () => {
  assert.match(bad("127.0.0.1:0"), /port 0 cannot be dialled/);
  assert.match(bad("[::1]:0"), /port 0 cannot be dialled/);
});

Deno.test("isIPv6: groups of at most 4 hex digits, at most 8 of them, one ::", () => {
  for (const ip of ["::1", "::", "fe80::1%eth0", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8", "1::"]) {
    assert(isIPv6(ip), ip);
  }
  for (const text of ["::1:38425", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1", "1:", "1:2", "::g"]) {
    assert(!isIPv6(text), text);
  }
});

Deno.test("parsePort: 0 to 65535 in decimal digits only", () => {
  assert.equal(parsePort("0"), 0);
  assert.equal(parsePort("65535"), 65535);
  assert.equal(parsePort("65536"), undefined);
  assert.equal(parsePort("007"), 7);
  for (const text of ["", " 7", "7 ", "+7", "1e3", "0x10", "123456"]) {
    assert.equal(parsePort(text), undefined, text);
  }
});

Deno.test("formatAddress: brackets exactly the IPv6 hosts", () => {
  assert.equal(formatAddress({ host: "::1", port: 7 }), "[::1]:7");
  assert.equal(formatAddress({ host: "127.0.0.1", port: 7 }), "127.0.0.1:7");
  assert.equal(formatAddress({ host: "example.org", port: 13 }), "example.org:13");
  assert.equal(
    formatNetAddr({ transport: "tcp", hostname: "::1", port: 5 }),
    "[::1]:5",
  );
  assert.equal(
    formatNetAddr({ transport: "udp", hostname: "127.0.0.1", port: 5 }),
    "127.0.0.1:5",
  );
});

Deno.test("formatAddress: parseAddress reads back every address it writes", () => {
  const host = fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain());
  fc.assert(
    fc.property(host, fc.integer({ min: 1, max: 65535 }), fc.nat(), (h, port, fallback) => {
      const address = { host: h, port };
      assert.deepStrictEqual(parseAddress(formatAddress(address), fallback), address);
    }),
    { numRuns: 500 },
  );
});

Deno.test("isIPv4 / isIPv6 / isIPLiteral tell literals from names", () => {
  fc.assert(
    fc.property(fc.ipV4(), (ip) => assert(isIPv4(ip) && isIPLiteral(ip) && !isIPv6(ip))),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(fc.ipV6(), (ip) => assert(isIPv6(ip) && isIPLiteral(ip) && !isIPv4(ip))),
    { numRuns: 200 },
  );
  for (const name of ["localhost", "example.org", "256.1.1.1", "1.2.3", "nowhere.invalid"]) {
    assert(!isIPLiteral(name), name);
  }
});
