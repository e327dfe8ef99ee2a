/**
 * Clients for `chat-serve`'s flow-control tests: a line reader that reads slowly on
 * purpose (small reads with a pause between them) and checks every numbered line
 * in order, a blaster that writes numbered lines as fast as the server takes them, a
 * client that never reads (a python3 process with a 4 KiB receive buffer set before
 * connect, so its buffers fill quickly), and the server's peak memory.
 *
 * @module
 */

import { writeAll } from "./helpers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Text of numbered line `seq`: 8 digits, a space, padding; `size` bytes with its LF. */
export function numberedLine(seq: number, size: number): string {
  const head = String(seq).padStart(8, "0") + " ";
  return head + "x".repeat(size - head.length - 1);
}

/**
 * Writes `count` numbered lines of `size` bytes (LF included) on `conn`, in writes of
 * about `chunk` bytes, each awaited: as fast as the server reads them.
 */
export async function blast(
  conn: Deno.Conn,
  count: number,
  size: number,
  chunk = 256 * 1024,
): Promise<void> {
  const perWrite = Math.max(1, Math.floor(chunk / size));
  for (let seq = 0; seq < count; seq += perWrite) {
    let text = "";
    for (let i = seq; i < Math.min(count, seq + perWrite); i++) {
      text += numberedLine(i, size) + "\n";
    }
    await writeAll(conn, encoder.encode(text));
  }
}

/** What a {@linkcode PacedReader} saw. */
export interface PacedResult {
  /** Numbered lines from `from`, all in order (a gap or repeat throws instead). */
  lines: number;
  /** Every `*** ` notice line, in order. */
  notices: string[];
  /** Whether the server closed this connection. */
  closed: boolean;
}

/**
 * Reads a line client's socket slowly on purpose (reads of at most `readSize` bytes,
 * `pauseMs` between them: pacing, not synchronisation) and checks that the lines
 * from `from` are `FROM: <numberedLine(0..count-1)>` exactly, in order. Resolves once
 * all `count` arrived (or the connection closed); throws on the first wrong line.
 */
export async function pacedRead(conn: Deno.Conn, options: {
  from: string;
  count: number;
  size: number;
  readSize?: number;
  pauseMs?: number;
}): Promise<PacedResult> {
  const { from, count, size } = options;
  const buf = new Uint8Array(options.readSize ?? 32 * 1024);
  const prefix = encoder.encode(`${from}: `);
  const lineLength = prefix.length + size - 1; // without the LF
  let pending = new Uint8Array(0);
  let next = 0;
  const notices: string[] = [];
  const check = (line: Uint8Array) => {
    if (line[0] === 0x2a) { // "*** ..."
      notices.push(decoder.decode(line));
      return;
    }
    const seq = Number(decoder.decode(line.subarray(prefix.length, prefix.length + 8)));
    if (line.length !== lineLength || seq !== next || !startsWith(line, prefix)) {
      throw new Error(
        `line ${next} expected, got ${line.length} bytes: ${
          JSON.stringify(decoder.decode(line.subarray(0, 40)))
        }`,
      );
    }
    next++;
  };
  while (next < count) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) return { lines: next, notices, closed: true };
    let data = buf.subarray(0, n);
    if (pending.length > 0) {
      const joined = new Uint8Array(pending.length + n);
      joined.set(pending);
      joined.set(data, pending.length);
      data = joined;
    }
    let at = 0;
    for (let lf = data.indexOf(10, at); lf >= 0; lf = data.indexOf(10, at)) {
      check(data.subarray(at, lf));
      at = lf + 1;
    }
    pending = data.slice(at);
    if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
  }
  return { lines: next, notices, closed: false };
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

const NEVER_READS = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall((sys.argv[2] + "\\n").encode())
print("sent", flush=True)
sys.stdin.read()  # never reads the socket; ends when the test closes stdin
`;

/** A python3 line client that joins as `name` and never reads a byte. */
export interface NeverReader extends AsyncDisposable {
  readonly pid: number;
}

/**
 * Starts a client that joins as `name` and then never reads (its receive buffer set to
 * 4 KiB before connecting). Resolves once it has sent its name. Disposing ends it.
 */
export async function neverReader(port: number, name: string): Promise<NeverReader> {
  const proc = new Deno.Command("python3", {
    args: ["-c", NEVER_READS, String(port), name],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = proc.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  if (!value || !decoder.decode(value).startsWith("sent")) {
    throw new Error("the never-reading client did not start");
  }
  return {
    pid: proc.pid,
    async [Symbol.asyncDispose]() {
      await proc.stdin.close().catch(() => {});
      try {
        proc.kill("SIGKILL");
      } catch { /* gone */ }
      await proc.status;
      await proc.stdout.cancel().catch(() => {});
    },
  };
}

/** Peak resident memory of process `pid` (VmHWM), in bytes; undefined off Linux. */
export function peakRss(pid: number): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}
