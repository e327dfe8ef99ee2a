/**
 * `chat-serve --cluster rediss://`: the nodes' link to a redis-server of the test's own
 * that speaks only TLS, with certificates made at test time; the node trusts Redis's CA
 * through `--ca FILE`.
 */

import assert from "node:assert/strict";
import { ChatClient } from "./chat_serve_clients.ts";
import { runSockit, startSockit } from "./helpers.ts";
import { noRedis, startRedis } from "./redis_helpers.ts";
import { testCerts, tlsSkipReason } from "./tls_helpers.ts";

/** Why these tests skip (printed), or false. */
function skip(): boolean {
  if (noRedis()) return true;
  const noTls = tlsSkipReason();
  if (noTls) console.log(`skip: ${noTls}`);
  return noTls !== undefined;
}

const ignore = skip();

Deno.test({
  name: "cluster over TLS: two nodes on a rediss:// Redis, trusted with --ca, form one room",
  ignore,
  async fn() {
    const certs = await testCerts();
    await using redis = await startRedis({ tls: certs });
    assert.match(redis.url, /^rediss:\/\/127\.0\.0\.1:\d+$/);
    const node = () =>
      startSockit(["chat-serve", "--port", "0", "--cluster", redis.url, "--ca", certs.ca]);
    await using a = await node();
    await using b = await node();
    const alice = await ChatClient.join(a.port, "framed", "alice");
    const bob = await ChatClient.join(b.port, "line", "bob");
    await alice.untilJson({ type: "join", name: "bob" });
    await alice.sendJson({ type: "say", text: "over tls", id: "a1" });
    await bob.until((t) => t === "alice: over tls");
    await alice.close();
    await bob.close();
  },
});

Deno.test({
  name: "cluster over TLS: without --ca, Redis's certificate is not trusted: exit 8, one line",
  ignore,
  async fn() {
    const certs = await testCerts();
    await using redis = await startRedis({ tls: certs });
    const { code, stderr } = await runSockit(["chat-serve", "--port", "0", "--cluster", redis.url]);
    assert.equal(code, 8, stderr);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, /^sockit: connect redis 127\.0\.0\.1:\d+: Redis's certificate/);
    assert.match(stderr, /--ca FILE/);
  },
});

Deno.test("cluster: --ca without --cluster rediss:// is a usage error", async () => {
  for (
    const [args, said] of [
      [["--ca", "ca.pem"], "--ca needs --cluster rediss://HOST:PORT"],
      [["--cluster", "redis://127.0.0.1:1", "--ca", "ca.pem"], "--ca applies to Redis over TLS"],
    ] as const
  ) {
    const { code, stderr } = await runSockit(["chat-serve", "--port", "0", ...args]);
    assert.equal(code, 2, stderr);
    assert.ok(stderr.includes(said), stderr);
  }
});
