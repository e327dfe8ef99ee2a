/**
 * The `--json` schema (lib/json_events.ts): it catches what it should, and docs/JSON.md
 * is exactly what it generates. That every event the tests see fits it is checked where
 * the tests read sockit's stdout (tests/json_check.ts, hooked into tests/helpers.ts).
 */

import assert from "node:assert/strict";
import { eventProblems, JSON_EVENTS } from "../lib/json_events.ts";
import { JSON_DOC, jsonDoc } from "../scripts/json_doc.ts";
import { checkJsonLine } from "./json_check.ts";
import { ROOT, startSockit } from "./helpers.ts";

Deno.test("eventProblems: an event that fits its schema has none", () => {
  assert.deepEqual(
    eventProblems("echo", { event: "listening", transport: "tcp", host: "127.0.0.1", port: 7 }),
    [],
  );
  assert.deepEqual(eventProblems("daytime", { event: "error", message: "m", exitCode: 2 }), []);
});

Deno.test("eventProblems: unknown events and fields, missing fields, wrong types", () => {
  assert.deepEqual(eventProblems("echo", { event: "bogus" }), ['unknown event "bogus"']);
  assert.deepEqual(eventProblems("echo", { event: "join", name: "a" }), ['unknown event "join"']);
  assert.deepEqual(
    eventProblems("echo", { event: "listening", transport: "tcp", host: "h", port: 7, x: 1 }),
    ['"listening" has an unknown field "x"'],
  );
  assert.deepEqual(eventProblems("echo", { event: "listening", transport: "tcp", host: "h" }), [
    '"listening" lacks field "port"',
  ]);
  assert.deepEqual(
    eventProblems("echo", { event: "listening", transport: "tcp", host: "h", port: 1.5 }),
    ['"listening".port is not integer'],
  );
  assert.deepEqual(eventProblems("echo", [1]), ["not a JSON object"]);
  assert.throws(() => checkJsonLine("echo", "not json"), /not JSON/);
  assert.throws(() => checkJsonLine("echo", '{"event":"bogus"}'), /lib\/json_events\.ts/);
});

Deno.test("eventProblems: an event with two shapes fits either (echo's two summaries)", () => {
  const client = {
    event: "summary",
    to: "127.0.0.1:7",
    sent: 1,
    received: 1,
    mismatched: 0,
    lost: 0,
    unsent: 0,
    lossPercent: 0,
    rttMs: { min: 1, avg: 1, max: 1, p99: 1 },
    ok: true,
    interrupted: false,
  };
  assert.deepEqual(eventProblems("echo", client), []);
  assert.deepEqual(eventProblems("echo", { ...client, ok: "yes" }), [
    '"summary".ok is not boolean',
  ]);
});

Deno.test("JSON_EVENTS: every field has help, every event says when", () => {
  for (const group of JSON_EVENTS) {
    for (const event of group.events) {
      assert.ok(event.when.length > 0, event.name);
      for (const [name, field] of Object.entries(event.fields)) {
        assert.ok(field.help.length > 0, `${event.name}.${name}`);
      }
    }
  }
});

Deno.test("docs/JSON.md is what lib/json_events.ts generates (deno task json-doc)", async () => {
  const formatted = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=md", "-"],
    stdin: "piped",
    stdout: "piped",
    cwd: ROOT,
  }).spawn();
  const writer = formatted.stdin.getWriter();
  await writer.write(new TextEncoder().encode(jsonDoc()));
  await writer.close();
  const { stdout } = await formatted.output();
  assert.equal(
    await Deno.readTextFile(`${ROOT}${JSON_DOC}`),
    new TextDecoder().decode(stdout),
    "docs/JSON.md is out of date: run deno task json-doc",
  );
});

Deno.test("json check: a server's --json lines are checked as the test reads them", async () => {
  await using server = await startSockit(["echo", "--port", "0", "--json"]);
  assert.equal(server.listening[0].transport, "tcp");
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  conn.close();
  const line = await server.stdout.until((l) => l.includes('"disconnect"'));
  assert.deepEqual(eventProblems("echo", JSON.parse(line)), []);
});
