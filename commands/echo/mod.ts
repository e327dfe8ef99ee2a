/**
 * `sockit echo`: an RFC 862 echo server over TCP and UDP, and with `--to`, an echo
 * client that checks a server byte for byte (README, `sockit echo`).
 *
 * @module
 */

import { parseAddress } from "../../lib/address.ts";
import { defineCommand, type RunOptions } from "../../lib/command.ts";
import { UsageError } from "../../lib/errors.ts";
import { flagName } from "../../lib/flags.ts";
import { createOutput } from "../../lib/output.ts";
import { tlsClientOptions } from "../../lib/tls_flags.ts";
import { randomBytes, runProbes } from "./client.ts";
import { serverFlags } from "../../lib/server/flags.ts";
import { ECHO_PORT, echoMeta } from "./meta.ts";

/** The echo port of RFC 862. */
export { ECHO_PORT };

/**
 * The flags only the server reads (every flag of the server runtime, and these), each
 * with what the client takes instead, if anything.
 */
const SERVER_ONLY: Record<string, string | undefined> = {
  ...Object.fromEntries(Object.keys(serverFlags(ECHO_PORT)).map((key) => [key, undefined])),
  host: "the client's host goes in --to HOST:PORT",
  port: "the client's port goes in --to HOST:PORT",
  transport: "the client takes --udp",
  tlsCert: "the client takes --tls (and --ca)",
  tlsKey: "the client takes --tls (and --ca)",
  workers: undefined,
};

/** The flags only the client (`--to`) reads, each with what the server takes instead. */
const CLIENT_ONLY: Record<string, string | undefined> = {
  udp: "the server takes --transport udp",
  count: undefined,
  size: undefined,
  message: undefined,
  interval: undefined,
  timeout: undefined,
  tls: "the server takes --tls-cert and --tls-key",
  ca: "the server takes --tls-cert and --tls-key",
  servername: undefined,
  insecure: undefined,
};

/**
 * The resolve step: a flag of the other mode is a usage error saying what was meant
 * (nc users type `-u -l` for a UDP server, which here would silently serve TCP only).
 *
 * @throws {UsageError} for the first flag given that the mode does not read.
 */
function checkMode(options: RunOptions<typeof echoMeta.flags>): void {
  const { given } = options;
  const client = options.to !== undefined;
  const foreign = client ? SERVER_ONLY : CLIENT_ONLY;
  for (const [key, instead] of Object.entries(foreign)) {
    if (!given.includes(key)) continue;
    const flag = `--${flagName(key)}`;
    if (client) {
      throw new UsageError(
        `${flag} is for the server; ${instead ?? "the client (--to) does not take it"}`,
      );
    }
    throw new UsageError(
      instead
        ? `${flag} is for the client (with --to); ${instead}`
        : `${flag} is for the client; give --to HOST:PORT to check a server`,
    );
  }
}

const DEFAULT_PROBE_SIZE = 64;
const UDP_MAX_PAYLOAD = 65_507;

/** `sockit echo`. */
export const echo = defineCommand({
  ...echoMeta,
  async run(options, io) {
    const out = createOutput(io, { json: options.json, noColor: options.noColor });
    checkMode(options);
    if (options.to === undefined) {
      // Imported here: a one-probe --to need not load the server runtime (issue 10).
      const { runServer } = await import("./serve.ts");
      return await runServer(options, io, out);
    }
    if (options.tls && options.udp) throw new UsageError("--tls is for TCP; leave out --udp");
    if (options.size !== undefined && options.message !== undefined) {
      throw new UsageError("--size and --message cannot be used together");
    }
    const message = options.message === undefined
      ? undefined
      : new TextEncoder().encode(options.message);
    if (message?.length === 0) throw new UsageError("--message: must not be empty");
    const size = message?.length ?? options.size ?? DEFAULT_PROBE_SIZE;
    if (options.udp && size > UDP_MAX_PAYLOAD) {
      throw new UsageError(
        `--size: ${size} bytes do not fit one UDP datagram (${UDP_MAX_PAYLOAD} at most)`,
      );
    }
    const tls = await tlsClientOptions(options, out.note);
    // Imported here, as the TLS code is by dial(): only --trace needs it (issue 10).
    const trace = options.trace
      ? (await import("../../lib/trace.ts")).createTracer(out.note)
      : undefined;
    return await runProbes({
      to: parseAddress(options.to, ECHO_PORT, { onNote: out.note }),
      count: options.count,
      payload: () => message ?? randomBytes(size),
      interval: options.interval,
      timeout: options.timeout,
      udp: options.udp,
      tls,
    }, { io, out, trace });
  },
});
