/**
 * What daytime tests share: one sockit daytime server per format, and the check that a
 * daytime text names the current time.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DAYTIME_FORMATS, parseDaytime } from "../lib/daytime_format.ts";
import { type RunningSockit, startSockit } from "./helpers.ts";

/** One running daytime server per format, in {@linkcode DAYTIME_FORMATS} order. */
export interface DaytimeServers {
  servers: RunningSockit[];
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a `sockit daytime --port 0` per format, over TCP or TCP and UDP. If one fails
 * to start, those that did are stopped before the error is thrown.
 *
 * @example
 * ```ts
 * await using daytime = await startDaytimeServers("both");
 * const nist = daytime.servers[DAYTIME_FORMATS.indexOf("nist")];
 * ```
 */
export async function startDaytimeServers(transport: "tcp" | "both"): Promise<DaytimeServers> {
  const started = await Promise.allSettled(DAYTIME_FORMATS.map((format) =>
    startSockit(
      ["daytime", "--port", "0", "--transport", transport, "--format", format, "--quiet"],
      { transports: transport === "both" ? 2 : 1 },
    )
  ));
  const servers = started.flatMap((s) => s.status === "fulfilled" ? [s.value] : []);
  const stopAll = async () => {
    await Promise.all(servers.map((s) => s[Symbol.asyncDispose]()));
  };
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await stopAll();
    throw failed.reason;
  }
  return { servers, [Symbol.asyncDispose]: stopAll };
}

/**
 * Asserts that `text` is a daytime answer naming a time within 2 s of now, in `format` when given.
 *
 * @example
 * ```ts
 * assertNow("Sunday, November 22, 2026 02:15:36-UTC\r\n", "rfc867");
 * ```
 */
export function assertNow(text: string, format?: string): void {
  const reading = parseDaytime(text);
  assert.ok(reading, `${JSON.stringify(text)} is not a time`);
  if (format) assert.equal(reading.format, format);
  const off = reading.timeMs - Date.now();
  assert.ok(Math.abs(off) < 2000, `${JSON.stringify(text)} is ${off} ms off`);
}
