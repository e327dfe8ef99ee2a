/**
 * `sockit daytime`: an RFC 867 daytime server (one line of text with the time, then
 * close), or with `--protocol time` an RFC 868 time server (4 bytes: big-endian seconds
 * since 1900), over TCP, UDP or both (README, `sockit daytime`). Listening, `--max-conns`,
 * logging, the UDP source guard and shutdown are the shared server runtime's.
 *
 * @module
 */

import { defineCommand } from "../lib/command.ts";
import { DAYTIME_PORT, daytimeMeta, TIME_PORT } from "./daytime_meta.ts";
import { type DaytimeFormat, daytimeText } from "../lib/daytime_format.ts";
import { UsageError } from "../lib/errors.ts";
import { createOutput } from "../lib/output.ts";
import { type Connection, type DatagramHandler, serve, serverSettings } from "../lib/server/mod.ts";
import { toRfc868 } from "../lib/time.ts";

export { DAYTIME_PORT, TIME_PORT };

/**
 * Makes the bytes of a daytime answer for the current time. The text changes once a
 * second (once a millisecond for `iso`), so the last one is kept and reused: under load
 * most connections are answered without formatting anything.
 *
 * @example
 * ```ts
 * const answer = daytimeAnswer("rfc867", { utc: true });
 * answer(Date.now()); // the bytes of "Saturday, November 21, 2026 23:59:01-UTC\r\n"
 * ```
 */
export function daytimeAnswer(
  format: DaytimeFormat,
  options: { utc?: boolean; timeZone?: string } = {},
): (nowMs: number) => Uint8Array {
  const encoder = new TextEncoder();
  const step = format === "iso" ? 1 : 1000;
  let key = NaN;
  let bytes = new Uint8Array(0);
  return (nowMs) => {
    const k = Math.floor(nowMs / step);
    if (k !== key) {
      key = k;
      bytes = encoder.encode(daytimeText(nowMs, format, options));
    }
    return bytes;
  };
}

/**
 * The 4 bytes of an RFC 868 answer: big-endian seconds since 1900-01-01 UTC, modulo
 * 2^32 (so it stays correct past the 2036 wrap).
 *
 * @example
 * ```ts
 * timeAnswer(0); // Uint8Array [0x83, 0xaa, 0x7e, 0x80] (2208988800)
 * ```
 */
export function timeAnswer(nowMs: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, toRfc868(nowMs));
  return bytes;
}

/** `sockit daytime`. */
export const daytime = defineCommand({
  ...daytimeMeta,
  async run(options, io) {
    const out = createOutput(io, { json: options.json, noColor: options.noColor });
    const time = options.protocol === "time";
    if (time && options.format !== undefined) {
      throw new UsageError("--format applies to --protocol daytime, not time");
    }
    if (time && options.utc) throw new UsageError("--utc applies to --protocol daytime, not time");
    const answer = time ? timeAnswer : daytimeAnswer(options.format ?? "rfc867", {
      utc: options.utc,
    });
    const tcp = (c: Connection) => c.writeAll(answer(io.now()));
    const udp: DatagramHandler = (_data, _peer, reply) => reply(answer(io.now()));
    const port = options.port ?? (time ? TIME_PORT : DAYTIME_PORT);
    return await serve({
      ...await serverSettings({ ...options, port }),
      name: "daytime",
      transport: options.transport,
      tcp,
      udp,
    }, { io, out, trace: options.trace });
  },
});
