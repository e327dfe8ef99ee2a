/**
 * `chat-serve --password-file FILE`: the right password lets a client in, a wrong or
 * missing one is `bad_password` and a closed connection with no join announced — over
 * the line, framed and ascii8 dialects — and the comparison unit.
 */

import assert from "node:assert/strict";
import { PasswordCheck, passwordProblem } from "../commands/chat/password.ts";
import { ChatClient } from "./chat_serve_clients.ts";
import { runSockit, startSockit } from "./helpers.ts";

const PASSWORD = "correct horse";

/** A password file in a temporary directory, for the test's lifetime. */
async function passwordFile(text = `${PASSWORD}\r\nsecond line is ignored\n`) {
  const dir = await Deno.makeTempDir({ prefix: "sockit-chat-pw-" });
  const path = `${dir}/room.pass`;
  await Deno.writeTextFile(path, text);
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("PasswordCheck matches only the password; a missing one is told apart", () => {
  const check = new PasswordCheck(PASSWORD);
  assert.equal(check.matches(PASSWORD), true);
  for (const wrong of ["", "correct", "correct horse ", "Correct horse", PASSWORD + PASSWORD]) {
    assert.equal(check.matches(wrong), false, wrong);
  }
  assert.equal(passwordProblem(check, PASSWORD), undefined);
  assert.equal(passwordProblem(check, "nope")?.code, "bad_password");
  assert.match(passwordProblem(check, undefined)!.message, /needs a password/);
});

Deno.test("chat-serve --password-file: an unreadable or empty file is a usage error", async () => {
  const missingFile = await runSockit(["chat-serve", "--port", "0", "--password-file", "/nope"]);
  assert.equal(missingFile.code, 2);
  assert.match(missingFile.stderr, /--password-file: cannot read "\/nope"/);
  await using empty = await passwordFile("\nsecret\n");
  const r = await runSockit(["chat-serve", "--port", "0", "--password-file", empty.path]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /the first line of .* is empty/);
});

function serveWithPassword(path: string, ...args: string[]) {
  return startSockit(["chat-serve", "--port", "0", "--password-file", path, ...args]);
}

/** Joins as a watcher who would see any join; returns it. */
async function watcher(port: number, dialect: ChatClient["dialect"]): Promise<ChatClient> {
  const client = await ChatClient.connect(port, dialect);
  if (dialect === "framed") {
    await client.sendJson({ type: "hello", name: "watcher", password: PASSWORD });
    assert.equal((await client.json()).type, "welcome");
  } else {
    await client.sendText("watcher");
    assert.equal(await client.next(), "password:");
    await client.sendText(PASSWORD);
    assert.match((await client.next())!, /^\*\*\* welcome watcher/);
  }
  return client;
}

/** `watcher` saw no join since it joined: its next message is the answer to /who. */
async function assertNoJoinSeen(w: ChatClient, users: string[]): Promise<void> {
  if (w.dialect === "framed") {
    await w.sendJson({ type: "who" });
    assert.deepEqual(await w.json(), { type: "who", users });
  } else {
    await w.sendText("/who");
    assert.equal(await w.next(), `*** users: ${users.join(", ")}`);
  }
}

for (const dialect of ["line", "ascii8"] as const) {
  const framing = dialect === "ascii8" ? ["--framing", "ascii8"] : [];
  Deno.test(`chat-serve --password-file (${dialect}): name, password: prompt, then right, wrong or missing`, async () => {
    await using file = await passwordFile();
    await using server = await serveWithPassword(file.path, ...framing);
    await using w = await watcher(server.port, dialect);

    for (const given of ["wrong", ""]) {
      await using intruder = await ChatClient.connect(server.port, dialect);
      await intruder.sendText("mallory");
      assert.equal(await intruder.next(), "password:");
      await intruder.sendText(given);
      assert.deepEqual(await intruder.rest(), ["!!! bad_password: Wrong password"]);
    }
    await assertNoJoinSeen(w, ["watcher"]);
    await server.stderr.until((l) =>
      /^refused #\d+ from 127\.0\.0\.1:\d+ \(bad_password\)$/.test(l)
    );

    await using alice = await ChatClient.connect(server.port, dialect);
    await alice.sendText("alice");
    assert.equal(await alice.next(), "password:");
    await alice.sendText(PASSWORD);
    assert.match((await alice.next())!, /^\*\*\* welcome alice; 2 users here/);
    assert.equal(await w.next(), "*** alice joined");
  });
}

Deno.test("chat-serve --password-file (framed): password in hello; wrong or missing is closed", async () => {
  await using file = await passwordFile();
  await using server = await serveWithPassword(file.path);
  await using w = await watcher(server.port, "framed");

  for (const hello of [{ password: "wrong" }, {}]) {
    await using intruder = await ChatClient.connect(server.port, "framed");
    await intruder.sendJson({ type: "hello", name: "mallory", ...hello });
    const rest = (await intruder.rest()).map((t) => JSON.parse(t));
    assert.equal(rest.length, 1, JSON.stringify(rest));
    assert.equal(rest[0].type, "error");
    assert.equal(rest[0].code, "bad_password");
  }
  await assertNoJoinSeen(w, ["watcher"]);

  await using bob = await ChatClient.connect(server.port, "framed");
  await bob.sendJson({ type: "hello", name: "watcher", password: PASSWORD });
  assert.equal((await bob.json()).code, "name_taken");
  await bob.sendJson({ type: "hello", name: "bob" }); // admitted already: no password again
  assert.equal((await bob.json()).type, "welcome");
  assert.equal((await w.json()).type, "join");
});

Deno.test("chat-join --password-file or $SOCKIT_CHAT_PASSWORD: right joins; wrong or none is exit 1", async () => {
  await using file = await passwordFile();
  await using wrongFile = await passwordFile("nope\n");
  await using server = await serveWithPassword(file.path);
  await using w = await watcher(server.port, "framed");
  const join = (args: string[], env?: Record<string, string>) =>
    runSockit(["chat-join", `127.0.0.1:${server.port}`, "--send", "hi", ...args], { env });

  const wrong = await join(["--name", "m1", "--password-file", wrongFile.path]);
  assert.equal(wrong.code, 1, wrong.stderr);
  assert.match(wrong.stderr, /join 127\.0\.0\.1:\d+: Wrong password \(give the room's password/);
  const none = await join(["--name", "m2"]);
  assert.equal(none.code, 1, none.stderr);
  assert.match(none.stderr, /This room needs a password/);
  const wrongEnv = await join(["--name", "m3"], { SOCKIT_CHAT_PASSWORD: "nope" });
  assert.equal(wrongEnv.code, 1, wrongEnv.stderr);
  await assertNoJoinSeen(w, ["watcher"]);

  const byFile = await join(["--name", "byfile", "--password-file", file.path]);
  assert.equal(byFile.code, 0, byFile.stderr);
  assert.equal((await w.untilJson({ type: "msg" })).from, "byfile");
  // The file wins over the environment.
  const byEnv = await join(["--name", "byenv"], { SOCKIT_CHAT_PASSWORD: PASSWORD });
  assert.equal(byEnv.code, 0, byEnv.stderr);
  assert.equal((await w.untilJson({ type: "msg" })).from, "byenv");
  const both = await join(["--name", "both", "--password-file", file.path], {
    SOCKIT_CHAT_PASSWORD: "nope",
  });
  assert.equal(both.code, 0, both.stderr);
});
