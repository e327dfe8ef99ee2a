/** Unit tests of the CIDR parser and the access rules built on it. */

import assert from "node:assert/strict";
import { contains, dottedQuadProblem, ipKey, parseCidr, parseIp, parseIpv4 } from "../lib/cidr.ts";
import {
  accessRules,
  perIpCount,
  refusal,
  SHARED_PER_IP_BUCKETS,
  sharedPerIpCount,
} from "../lib/server/access.ts";

Deno.test("parseIp: IPv4, IPv6 (compressed, embedded IPv4, zone, brackets), mapped as IPv4", () => {
  assert.deepStrictEqual(parseIp("10.0.0.1"), { family: 4, value: 0x0a000001n });
  assert.deepStrictEqual(parseIp("::ffff:10.0.0.1"), { family: 4, value: 0x0a000001n });
  assert.deepStrictEqual(parseIp("::FFFF:a00:1"), { family: 4, value: 0x0a000001n });
  assert.deepStrictEqual(parseIp("::1"), { family: 6, value: 1n });
  assert.deepStrictEqual(parseIp("[::1]"), { family: 6, value: 1n });
  assert.deepStrictEqual(parseIp("fe80::1%eth0"), { family: 6, value: (0xfe80n << 112n) | 1n });
  assert.deepStrictEqual(parseIp("::"), { family: 6, value: 0n });
  assert.equal(parseIp("1:2:3:4:5:6:7:8")?.value, 0x00010002000300040005000600070008n);
  assert.equal(parseIp("64:ff9b::1.2.3.4")?.value, (0x64ff9bn << 96n) | 0x01020304n);
  for (const bad of ["", "1.2.3", "256.1.1.1", "1.2.3.4.5", "1::2::3", "1:2:3:4:5:6:7:8:9", "x"]) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

Deno.test("parseCidr: blocks, bare addresses, mapped blocks, and what is wrong", () => {
  const block = parseCidr("10.1.2.3/8");
  assert.deepStrictEqual([block.family, block.base, block.prefix], [4, 0x0a000000n, 8]);
  assert.equal(parseCidr("127.0.0.2").prefix, 32);
  assert.equal(parseCidr("::1").prefix, 128);
  assert.equal(parseCidr("0.0.0.0/0").prefix, 0);
  const mapped = parseCidr("::ffff:10.0.0.0/104");
  assert.deepStrictEqual([mapped.family, mapped.prefix], [4, 8]);
  assert.throws(() => parseCidr("10.0.0.0/33"), /prefix length must be 0 to 32/);
  assert.throws(() => parseCidr("::1/129"), /must be 0 to 128/);
  assert.throws(() => parseCidr("::ffff:10.0.0.0/95"), /96 to 128 for a mapped IPv4 block/);
  assert.throws(() => parseCidr("10.0.0.0/x"), /bad prefix length/);
  assert.throws(() => parseCidr("10.0.0.0/8/8"), /is not an IP address or CIDR block/);
  assert.throws(() => parseCidr("example.com"), /"example.com" is not an IP address/);
});

Deno.test("contains: matches within the family; IPv4-mapped IPv6 is IPv4", () => {
  const ten = parseCidr("10.0.0.0/8");
  assert.ok(contains(ten, parseIp("10.255.0.1")!));
  assert.ok(contains(ten, parseIp("::ffff:10.9.9.9")!));
  assert.ok(!contains(ten, parseIp("11.0.0.1")!));
  assert.ok(!contains(parseCidr("::/0"), parseIp("10.0.0.1")!), "IPv6 rules do not match IPv4");
  assert.ok(contains(parseCidr("0.0.0.0/0"), parseIp("::ffff:1.2.3.4")!));
  const doc = parseCidr("2001:db8::/32");
  assert.ok(contains(doc, parseIp("2001:db8:ffff::1")!));
  assert.ok(!contains(doc, parseIp("2001:db9::1")!));
  assert.equal(ipKey("::ffff:127.0.0.1"), ipKey("127.0.0.1"));
  assert.equal(ipKey("0:0::1"), ipKey("::1"));
});

Deno.test("accessRules + refusal: deny wins, allow restricts, none means everyone", () => {
  assert.equal(accessRules({ allow: [], deny: [], maxConnsPerIp: 0 }), undefined);
  const rules = accessRules({
    allow: ["127.0.0.0/8,::1", "10.0.0.0/8"],
    deny: ["127.0.0.3"],
    maxConnsPerIp: 0,
  })!;
  assert.equal(rules.allow.length, 3);
  assert.equal(refusal(rules, "127.0.0.2"), undefined);
  assert.equal(refusal(rules, "::ffff:127.0.0.2"), undefined);
  assert.equal(refusal(rules, "127.0.0.3"), "--deny 127.0.0.3");
  assert.equal(refusal(rules, "::ffff:127.0.0.3"), "--deny 127.0.0.3");
  assert.equal(refusal(rules, "192.168.1.1"), "not in --allow");
  assert.equal(refusal(rules, "::1"), undefined);
  const denyOnly = accessRules({ allow: [], deny: ["10.0.0.0/8"], maxConnsPerIp: 0 })!;
  assert.equal(refusal(denyOnly, "192.168.1.1"), undefined);
  assert.throws(
    () => accessRules({ allow: ["1.2.3.4/40"], deny: [], maxConnsPerIp: 0 }),
    (err: Error & { exitCode?: number }) => err.exitCode === 2 && /^--allow: /.test(err.message),
  );
});

Deno.test("perIpCount and sharedPerIpCount: a limit per address, mapped IPv6 the same address", () => {
  const buckets = new Int32Array(new SharedArrayBuffer(4 * SHARED_PER_IP_BUCKETS));
  for (const count of [perIpCount(2), sharedPerIpCount(2, buckets)]) {
    assert.ok(count.add("10.0.0.1"));
    assert.ok(count.add("::ffff:10.0.0.1"));
    assert.ok(!count.add("10.0.0.1"), "the third");
    assert.equal(count.open("10.0.0.1"), 2);
    assert.ok(count.add("10.0.0.2"), "another address");
    count.remove("10.0.0.1");
    assert.ok(count.add("10.0.0.1"), "one left, one more may come");
  }
  const unlimited = perIpCount(0);
  for (let i = 0; i < 5; i++) assert.ok(unlimited.add("10.0.0.1"));
});

Deno.test("parseIpv4 refuses leading zeros; dottedQuadProblem says why", () => {
  assert.equal(parseIpv4("0.0.0.0"), 0n);
  assert.equal(parseIpv4("10.0.0.1"), 167772161n);
  for (const text of ["010.0.0.1", "1.2.3.04", "127.000.000.001", "00.1.2.3"]) {
    assert.equal(parseIpv4(text), undefined, text);
    assert.match(dottedQuadProblem(text)!, /^a leading zero \(octal or decimal\?\): write /, text);
  }
  assert.equal(
    dottedQuadProblem("127.000.000.001"),
    "a leading zero (octal or decimal?): write 127.0.0.1",
  );
  assert.equal(dottedQuadProblem("1.2.3.400"), "400 is over 255");
  for (const text of ["10.0.0.1", "example.org", "1.2.3", "::1", "1.2.3.4.5"]) {
    assert.equal(dottedQuadProblem(text), undefined, text);
  }
  assert.throws(() => parseCidr("01.2.3.4/8"), /not an IPv4 address: a leading zero/);
});
