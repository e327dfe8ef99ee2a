/** Counts in command output read as English: "1 probe", "1 client". */

import assert from "node:assert/strict";
import { echo } from "../commands/echo/mod.ts";
import { runCli } from "../lib/cli.ts";
import { ChatClient } from "./chat_serve_clients.ts";
import { fakeTcpServer, replying } from "./fake_servers.ts";
import { fakeIo, startSockit } from "./helpers.ts";

Deno.test("echo client: one probe is '1 probe'", async () => {
  await using server = fakeTcpServer(replying((bytes) => bytes));
  const io = fakeIo();
  const code = await runCli(["echo", "--to", `127.0.0.1:${server.port}`, "-c", "1"], io, {
    commands: [echo],
    version: "test",
  });
  assert.equal(code, 0, io.stderrText());
  assert.match(io.stdoutText(), /^ECHO 127\.0\.0\.1:\d+ \(tcp\): 1 probe\n/);
});

Deno.test("chat-serve --max-clients 1: the full server says '1 client'", async () => {
  await using server = await startSockit(["chat-serve", "--port", "0", "--max-clients", "1"]);
  await using a = await ChatClient.join(server.port, "framed", "a");
  await using b = await ChatClient.connect(server.port, "framed");
  await b.sendJson({ type: "hello", name: "b" });
  const refusal = await b.json();
  assert.equal(refusal.code, "server_full");
  assert.match(String(refusal.message), /: 1 client \(--max-clients\)$/);
  void a;
});
