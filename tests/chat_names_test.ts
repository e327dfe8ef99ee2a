/**
 * Chat names and text against spoofing: bidi controls never reach another client, and
 * names that look alike (UTS #39 confusables: Cyrillic а beside Latin a, fullwidth
 * letters) are one name for the uniqueness check.
 */

import assert from "node:assert/strict";
import { skeleton } from "../commands/chat/confusables.ts";
import { nameKey, nameProblem, sanitize } from "../commands/chat/protocol.ts";
import { ChatClient } from "./chat_serve_clients.ts";
import { startSockit } from "./helpers.ts";

Deno.test("sanitize() strips bidi controls (RLO, isolates, marks) from text", () => {
  assert.equal(sanitize("evil\u202Etxt.exe"), "eviltxt.exe");
  assert.equal(
    sanitize("\u2066a\u2067b\u2068c\u2069\u200E\u200F\u061C\u202A\u202B\u202C\u202D"),
    "abc",
  );
  assert.equal(sanitize("שלום world"), "שלום world", "right-to-left letters stay");
});

Deno.test("a name holding a bidi control is refused, and the refusal does not carry it", () => {
  const problem = nameProblem("ali\u202Ece");
  assert(problem !== undefined);
  assert(!problem.includes("\u202E"), JSON.stringify(problem));
});

Deno.test("nameKey(): confusable names are one name", () => {
  const same: [string, string][] = [
    ["\u0430lice", "alice"], // Cyrillic а
    ["\u0410LICE", "alice"], // Cyrillic А
    ["b\u043eb", "bob"], // Cyrillic о
    ["\u0412\u041e\u0412", "BOB"], // Cyrillic ВОВ
    ["\u0440\u0430\u0443\u0440\u0430\u0441", "paypac"], // Cyrillic рауac
    ["\u03b1lice", "alice"], // Greek α
    ["\u039fscar", "oscar"], // Greek Ο
    ["\uff41\uff4c\uff49\uff43\uff45", "alice"], // fullwidth (NFKC)
    ["\u{1d41a}lice", "alice"], // mathematical bold a (NFKC)
    ["Alice", "aLICE"], // case
    ["\u0455\u0456\u0458", "sij"], // Cyrillic ѕ і ј
  ];
  for (const [a, b] of same) assert.equal(nameKey(a), nameKey(b), `${a} vs ${b}`);
  const different: [string, string][] = [["alice", "alise"], ["bob", "rob"], ["ana", "anna"]];
  for (const [a, b] of different) assert.notEqual(nameKey(a), nameKey(b), `${a} vs ${b}`);
});

Deno.test("skeleton() maps lookalikes to one prototype and leaves other text alone", () => {
  assert.equal(skeleton("\u0430\u0435\u043e\u0440\u0441\u0443\u0445"), "aeopcyx");
  assert.equal(skeleton("plain"), "plain");
  assert.equal(skeleton("日本"), "日本");
});

Deno.test("chat-serve: a confusable of a name in use is taken; bidi controls never arrive", async () => {
  await using server = await startSockit(["chat-serve", "--port", "0"]);
  await using alice = await ChatClient.join(server.port, "framed", "alice");
  await using spoof = await ChatClient.connect(server.port, "framed");
  await spoof.sendJson({ type: "hello", name: "\u0430lice" });
  assert.equal((await spoof.json()).code, "name_taken");
  await using bob = await ChatClient.join(server.port, "line", "bob");
  await alice.untilJson({ type: "join" });
  await bob.sendText("see file\u202Etxt.exe");
  const got = await alice.untilJson({ type: "msg" });
  assert.equal(got.text, "see filetxt.exe");
});
