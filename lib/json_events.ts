/**
 * The `--json` contract as data: every event each command prints on stdout with
 * `--json`, its fields, their types and units, and when it is printed. docs/JSON.md is
 * generated from it (`deno task json-doc`), and the tests check every event they see
 * against it (tests/json_check.ts), so the page, the code and the schema cannot drift.
 *
 * To add an event or a field: add it here (a field `{ type, help }`, `optional` when it
 * is not always there, `unit` for numbers with one), run `deno task json-doc`, commit
 * both. An event the schema does not know fails the tests that see it.
 *
 * @module
 */

/** A JSON type; a field may allow several (`["string", "null"]`). */
export type JsonType = "string" | "integer" | "number" | "boolean" | "object" | "array" | "null";

/** One field of an event. */
export interface FieldSpec {
  type: JsonType | readonly JsonType[];
  /** What it means, one line. */
  help: string;
  /** `ms`, `bytes`, `s`, `%`... for numbers. */
  unit?: string;
  /** Not on every event of this kind. */
  optional?: boolean;
}

/** One event, `{"event": name, ...fields}`. */
export interface EventSpec {
  /** The `event` field's value. */
  name: string;
  /** When it is printed. */
  when: string;
  fields: Record<string, FieldSpec>;
}

/** The events of one command (or of a part several commands share). */
export interface EventGroup {
  /** `sockit echo` (server), `every server`... for the page's headings. */
  title: string;
  /** The commands whose stdout may carry these events. */
  commands: readonly string[];
  /** A sentence or two above the table. */
  intro?: string;
  events: readonly EventSpec[];
}

const SERVERS = ["echo", "daytime", "chat-serve"] as const;
const ALL = ["daytime", "time-fetch", "echo", "chat-serve", "chat-join", "race-demo"] as const;

const str = (help: string, optional = false): FieldSpec => ({ type: "string", help, optional });
const int = (help: string, unit?: string, optional = false): FieldSpec => ({
  type: "integer",
  help,
  ...(unit ? { unit } : {}),
  optional,
});
const num = (help: string, unit?: string, optional = false): FieldSpec => ({
  type: "number",
  help,
  ...(unit ? { unit } : {}),
  optional,
});
const bool = (help: string, optional = false): FieldSpec => ({ type: "boolean", help, optional });

const listening: EventSpec = {
  name: "listening",
  when: "first, once per listener, as soon as it is bound (before any connection)",
  fields: {
    transport: str("tcp or udp (tls once a server speaks TLS)"),
    host: str("the address bound, e.g. 127.0.0.1 or ::"),
    port: int("the port bound; with --port 0 the one the system picked"),
  },
};

const serverSummary = (extra: Record<string, FieldSpec> = {}): EventSpec => ({
  name: "summary",
  when: "last, once the server stopped (SIGINT or SIGTERM) and every connection closed",
  fields: {
    command: str("the command: echo, daytime or chat-serve"),
    uptimeMs: int("time from listening to stopped", "ms"),
    connections: int("TCP connections accepted"),
    rejected: int("TCP connections closed at once over --max-conns"),
    maxOpen: int("most TCP connections open at once (across --workers threads)"),
    bytesIn: int("bytes read from every client, TCP and UDP", "bytes"),
    bytesOut: int("bytes written to every client, TCP and UDP", "bytes"),
    datagrams: int("UDP datagrams answered"),
    dropped: {
      type: "object",
      help: "UDP datagrams dropped by the source guard, by reason (reason: count)",
    },
    acceptErrors: int("accepts that failed (the server went on)"),
    tlsFailed: int("TLS handshakes that failed (--tls-cert: a plain or broken client)"),
    denied: int("connections closed and datagrams dropped by --allow/--deny"),
    overPerIp: int("connections closed over --max-conns-per-ip"),
    handlerErrors: int("connections whose handler failed unexpectedly (a bug)"),
    ...extra,
  },
});

/** The events of the server runtime (lib/server/), the same for every server. */
const serverEvents: EventSpec[] = [
  listening,
  {
    name: "connect",
    when: "a TCP connection was accepted (not with --quiet)",
    fields: {
      transport: str("tcp"),
      id: str('the connection\'s number in this server, as text ("3", or "2.3" with --workers)'),
      peer: str("the client's address, 127.0.0.1:50123 or [::1]:50123"),
      open: int("connections open now, this one included"),
    },
  },
  {
    name: "disconnect",
    when: "a TCP connection closed (not with --quiet)",
    fields: {
      transport: str("tcp"),
      id: str("as in its connect event"),
      peer: str("the client's address"),
      reason: str("why it closed: closed, reset, idle, shutdown, error..."),
      bytesIn: int("bytes read from it", "bytes"),
      bytesOut: int("bytes written to it", "bytes"),
      durationMs: int("time from accept to close", "ms"),
    },
  },
  {
    name: "reject",
    when: "a connection over --max-conns (or --max-conns-per-ip) was closed at once",
    fields: {
      transport: str("tcp or tls"),
      peer: str("the client's address"),
      open: int("connections open at the time (from that address, for the per-IP limit)"),
      limit: str("max-conns-per-ip when that limit refused it", true),
    },
  },
  {
    name: "denied",
    when: "--allow/--deny refused a connection (closed at once) or a datagram (dropped); " +
      "the first few are logged, then one in a thousand, the summary counts all",
    fields: {
      transport: str("tcp, tls or udp"),
      peer: str("the client's address"),
      rule: str("the rule that refused it, e.g. --deny 10.0.0.0/8"),
      count: int("refused so far"),
    },
  },
  {
    name: "drop",
    when: "a UDP datagram was dropped by the source guard (logged for the first few, " +
      "then one in a thousand; the summary counts all)",
    fields: {
      transport: str("udp"),
      peer: str("the sender's address"),
      reason: str("why: privileged-port (source port below 1024), broadcast or multicast"),
      bytes: int("the datagram's size", "bytes"),
      count: int("datagrams dropped for this reason so far"),
    },
  },
  {
    name: "tls_failed",
    when: "with --tls-cert, a client's TLS handshake failed; it was closed and the server " +
      "went on (not with --quiet)",
    fields: {
      transport: str("tls"),
      peer: str("the client's address"),
      reason: str("why the handshake failed, as the TLS library says it"),
    },
  },
  {
    name: "shutdown",
    when: "the first SIGINT or SIGTERM arrived; the server stops accepting and closes",
    fields: { signal: str("SIGINT, SIGTERM or SIGBREAK") },
  },
];

/** The error event every command prints when it fails (lib/cli.ts). */
const failure: EventSpec = {
  name: "error",
  when: "last, when the command fails: usage errors included, with the same message " +
    "as the one line on stderr",
  fields: {
    message: str("what went wrong, naming the operation and the address"),
    hint: str("what to do about it", true),
    exitCode: int("the exit code the process ends with"),
  },
};

const rtt = (help: string): FieldSpec => num(help, "ms");

/** Every `--json` event, by command. */
export const JSON_EVENTS: readonly EventGroup[] = [
  {
    title: "Every command",
    commands: ALL,
    events: [failure],
  },
  {
    title: "Every server (echo, daytime, chat-serve)",
    commands: SERVERS,
    intro: "The server runtime's events: the same fields for every server. The log events " +
      "(connect, disconnect, reject, drop) go to stderr as text in human mode.",
    events: serverEvents,
  },
  {
    title: "sockit echo (server)",
    commands: ["echo"],
    events: [serverSummary()],
  },
  {
    title: "sockit echo --to (client)",
    commands: ["echo"],
    events: [
      {
        name: "start",
        when: "first, once connected (TCP) or the socket is open (UDP)",
        fields: {
          transport: str("tcp or udp"),
          to: str("the server, as HOST:PORT"),
          count: int("probes it will send (--count)"),
        },
      },
      {
        name: "probe",
        when: "once per probe, when its reply arrived or it was given up",
        fields: {
          seq: int("1 for the first probe"),
          bytes: int("the probe's size", "bytes"),
          status: str("ok, mismatch (a reply that differs) or lost"),
          reason: str("why it was lost: timeout, closed or reset", true),
          rttMs: { type: ["number", "null"], unit: "ms", help: "round trip; null when lost" },
          firstDiff: {
            type: "object",
            optional: true,
            help: "for a mismatch: offset of the first differing byte, sent and got (hex)",
          },
        },
      },
      {
        name: "summary",
        when: "last, after the last probe (or at Ctrl-C)",
        fields: {
          to: str("the server"),
          sent: int("probes sent"),
          received: int("replies received, intact or not"),
          mismatched: int("replies that differ from their probe"),
          lost: int("probes sent that got no reply"),
          unsent: int("probes of --count never sent (the server closed first)"),
          lossPercent: num("share of --count that did not come back", "%"),
          rttMs: {
            type: ["object", "null"],
            help: "min, avg, max, p99 round trip of the intact replies, in ms; null if none",
          },
          ok: bool("every probe came back intact (exit 0)"),
          interrupted: bool("stopped by SIGINT/SIGTERM before the last probe"),
        },
      },
    ],
  },
  {
    title: "sockit daytime",
    commands: ["daytime"],
    events: [serverSummary()],
  },
  {
    title: "sockit chat-serve",
    commands: ["chat-serve"],
    intro: "Besides the server runtime's events, the room's. Not with --quiet.",
    events: [
      {
        name: "join",
        when: "someone joined the room",
        fields: {
          name: str("their name"),
          id: int("their connection's number"),
          peer: str("their address"),
        },
      },
      {
        name: "leave",
        when: "someone left the room",
        fields: {
          name: str("their name"),
          id: int("their connection's number"),
          peer: str("their address"),
          reason: str("quit, disconnect, timeout, too_slow or shutdown"),
        },
      },
      {
        name: "nick",
        when: "someone changed their name",
        fields: {
          from: str("the old name"),
          to: str("the new name"),
          id: int("their connection's number"),
          peer: str("their address"),
        },
      },
      {
        name: "refused",
        when: "a client was turned away before it joined (e.g. bad_password)",
        fields: {
          id: int("its connection's number"),
          peer: str("its address"),
          code: str("the error code it was sent (docs/PROTOCOL.md, Error codes)"),
        },
      },
      serverSummary({
        joins: int("joins, renames not counted"),
        messages: int("messages and private messages relayed"),
        tooSlow: int("clients dropped because they stopped reading"),
        timeouts: int("clients dropped by --idle-timeout"),
        // With --cluster (commands/chat/cluster/room.ts, ClusterStats).
        node: str("--cluster: this node's id (random per start)", true),
        nodesSeen: int("--cluster: nodes of the room seen, this one included", undefined, true),
        published: int("--cluster: events this node published to the room", undefined, true),
        received: int("--cluster: events received from other nodes", undefined, true),
        linkLosses: int("--cluster: times the link to Redis was lost", undefined, true),
        refused: int(
          "--cluster: messages refused while the link was down (cluster_unavailable)",
          undefined,
          true,
        ),
        reaped: int(
          "--cluster: people of lost nodes this node announced as node_lost",
          undefined,
          true,
        ),
        gaps: int(
          "--cluster: times it came back to find unread events trimmed away",
          undefined,
          true,
        ),
      }),
    ],
  },
  {
    title: "sockit chat-join",
    commands: ["chat-join"],
    intro: "Each message from the server is one event named after its type, with the " +
      "protocol's fields (docs/PROTOCOL.md); `own: true` marks the copy of one's own " +
      "message (or the reply to one's own request).",
    events: [
      {
        name: "welcome",
        when: "first, once the server accepted the name",
        fields: {
          name: str("the name joined with"),
          users: { type: "array", help: "everyone in the room, names" },
          limits: { type: "object", help: "the server's limits (maxMessage...)" },
          ts: int("server time", "ms since 1970"),
        },
      },
      {
        name: "msg",
        when: "a message was said in the room (one's own too, as its acknowledgement)",
        fields: {
          from: str("the sender"),
          text: str("the text, control characters removed"),
          ts: int("server time", "ms since 1970"),
          id: str("the id of one's own message, acknowledging it", true),
          action: bool("a /me action", true),
          history: bool("replayed from --history", true),
          own: bool("one's own message", true),
        },
      },
      {
        name: "dm",
        when: "a private message to or from this client",
        fields: {
          from: str("the sender"),
          to: str("the recipient"),
          text: str("the text"),
          ts: int("server time", "ms since 1970"),
          id: str("the id of one's own message, acknowledging it", true),
          own: bool("one's own message", true),
        },
      },
      {
        name: "join",
        when: "someone joined",
        fields: { name: str("their name"), ts: int("server time", "ms since 1970") },
      },
      {
        name: "leave",
        when: "someone left",
        fields: {
          name: str("their name"),
          reason: str("quit, disconnect, timeout, too_slow or shutdown"),
          ts: int("server time", "ms since 1970"),
        },
      },
      {
        name: "nick",
        when: "someone changed their name",
        fields: {
          from: str("the old name"),
          to: str("the new name"),
          ts: int("server time", "ms since 1970"),
          own: bool("this client renamed itself", true),
        },
      },
      {
        name: "who",
        when: "the answer to /who",
        fields: {
          users: { type: "array", help: "everyone in the room, names" },
          own: bool("the answer to this client's request", true),
        },
      },
      {
        name: "help",
        when: "the answer to /help",
        fields: {
          lines: { type: "array", help: "the help text, one string per line" },
          own: bool("the answer to this client's request", true),
        },
      },
      {
        name: "error",
        when: "the server refused something (or the client did, before sending: local)",
        fields: {
          code: str("the error code (docs/PROTOCOL.md, Error codes)"),
          message: str("what was refused, in words"),
          id: str("the id of the message refused", true),
          local: bool("refused by the client itself, nothing was sent", true),
          own: bool("a reply to this client's own request", true),
        },
      },
      {
        name: "shutdown",
        when: "the server is shutting down",
        fields: {
          message: str("the server's words"),
          ts: int("server time", "ms since 1970"),
        },
      },
      {
        name: "disconnected",
        when: "the connection was lost",
        fields: {
          reason: str("why, in words"),
          reconnect: bool("it will try to re-join (--reconnect)"),
        },
      },
      {
        name: "reconnecting",
        when: "with --reconnect, before each attempt to re-join",
        fields: {
          attempt: int("1 for the first attempt"),
          delayMs: int("the wait before this attempt", "ms"),
        },
      },
      {
        name: "reconnected",
        when: "with --reconnect, re-joined",
        fields: {
          name: str("the name re-joined with"),
          resent: int("unacknowledged messages sent again"),
        },
      },
    ],
  },
  {
    title: "sockit time-fetch",
    commands: ["time-fetch"],
    events: [
      {
        name: "answer",
        when: "once per server and round, when its answer arrived",
        fields: {
          server: str("the server as named"),
          address: str("the address asked, IP:PORT"),
          protocol: str("daytime, time or ntp"),
          transport: str("tcp or udp"),
          round: int("1 for the first --count round"),
          serverTime: str("the server's time, ISO 8601 UTC"),
          localTime: str("the local clock at the same instant, ISO 8601 UTC"),
          offsetMs: num("server time minus local time (positive: the server is ahead)", "ms"),
          delayMs: rtt("round trip"),
          errorMs: num("how far offsetMs can be off (half the round trip + precision)", "ms"),
          precisionMs: num("the answer's precision (1000 for whole seconds)", "ms"),
          best: bool("the best answer of its round (shortest round trip)"),
          daytime: {
            type: "object",
            optional: true,
            help: "daytime only: text (what was said), format, zone, nist (NIST's fields)",
          },
          ntp: {
            type: "object",
            optional: true,
            help: "ntp only: stratum, refId, version, leap, rootDelayMs, rootDispersionMs...",
          },
        },
      },
      {
        name: "error",
        when: "a server failed in a round (the others go on)",
        fields: {
          server: str("the server as named"),
          round: int("the --count round"),
          message: str("what went wrong"),
          exitCode: int("the exit code this failure alone would give"),
        },
      },
      {
        name: "summary",
        when: "last, with several servers or --count",
        fields: {
          answers: int("answers received"),
          failed: int("failures"),
          best: {
            type: ["object", "null"],
            help: "the best answer: server, address, offsetMs, delayMs, errorMs; null if none",
          },
          maxOffsetMs: { type: ["number", "null"], unit: "ms", help: "--max-offset, or null" },
          ok: bool("an answer came, within --max-offset if given"),
        },
      },
    ],
  },
  {
    title: "sockit race-demo",
    commands: ["race-demo"],
    events: [
      {
        name: "start",
        when: "first",
        fields: {
          modes: { type: "array", help: "the modes it will run, in order" },
          workers: int("workers adding at once"),
          iterations: int("increments per worker per trial"),
          trials: int("trials per mode"),
          cores: int("logical cores the runtime reports"),
        },
      },
      ...(["trial", "summary"] as const).map((name): EventSpec => ({
        name,
        when: name === "trial" ? "after each trial" : "after each mode's trials",
        fields: {
          mode: str("unsafe, atomic or mutex"),
          ...(name === "trial"
            ? { trial: int("1 for the first trial") }
            : { trials: int("trials run"), trialsWithLoss: int("trials that lost updates") }),
          workers: int("workers"),
          iterations: int("increments per worker"),
          expected: int("what the counter would be with no update lost (per trial)"),
          actual: int("what the counter was"),
          lost: int("expected minus actual"),
          lostPercent: num("lost / expected", "%"),
          timeMs: num(name === "trial" ? "the trial's time" : "the trials' times added", "ms"),
          incrementsPerSecond: num("expected / time", "1/s"),
          ...(name === "summary" ? { why: str("why this mode loses updates or not") } : {}),
        },
      })),
      {
        name: "comparison",
        when: "after every mode ran, when mutex and atomic both did",
        fields: { mutexSlowdown: num("how many times slower mutex was than atomic", "×") },
      },
      {
        name: "trace-step",
        when: "--trace: each step of the forced interleaving, in order",
        fields: {
          mode: str("unsafe, mutex or atomic"),
          forced: bool("always true: the turns are forced"),
          step: int("1 for the first step"),
          worker: str("A or B"),
          op: str("what the step did: read, add, write, lock, unlock..."),
          value: int("what it read, computed or wrote (for a lock, the lock word)"),
          counter: int("the shared counter after the step"),
        },
      },
      {
        name: "trace-result",
        when: "--trace: after each mode's steps",
        fields: {
          mode: str("unsafe, mutex or atomic"),
          forced: bool("always true"),
          expected: int("2"),
          actual: int("the counter at the end"),
          lost: int("updates lost"),
        },
      },
    ],
  },
];

/**
 * What is wrong with `value` as a `--json` line of `command`: an unknown event, a field
 * the event does not have, a missing field, a field of the wrong type. Empty when it is
 * right.
 *
 * @example
 * ```ts
 * eventProblems("echo", { event: "listening", transport: "tcp", host: "127.0.0.1", port: 7 });
 * // []
 * eventProblems("echo", { event: "bogus" }); // ['unknown event "bogus"']
 * ```
 */
export function eventProblems(command: string, value: unknown): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return ["not a JSON object"];
  }
  const { event, ...fields } = value as Record<string, unknown>;
  if (typeof event !== "string") return ['no "event" field'];
  const specs = eventSpecs(command, event);
  if (specs.length === 0) return [`unknown event "${event}"`];
  // An event name may have several shapes (echo's server and client summaries): the
  // line is right when it fits one; else the problems of the shape it fits best.
  const all = specs.map((spec) => fieldProblems(event, spec, fields));
  return all.find((p) => p.length === 0) ?? all.sort((a, b) => a.length - b.length)[0];
}

function fieldProblems(event: string, spec: EventSpec, fields: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [name, field] of Object.entries(spec.fields)) {
    if (!(name in fields)) {
      if (!field.optional) problems.push(`"${event}" lacks field "${name}"`);
      continue;
    }
    const types = typeof field.type === "string" ? [field.type] : field.type;
    if (!types.some((t) => isType(fields[name], t))) {
      problems.push(`"${event}".${name} is not ${types.join(" or ")}`);
    }
  }
  for (const name of Object.keys(fields)) {
    if (!(name in spec.fields)) problems.push(`"${event}" has an unknown field "${name}"`);
  }
  return problems;
}

/**
 * The schemas of `event` as `command` prints it (several when it has several shapes).
 *
 * @example
 * ```ts
 * eventSpecs("echo", "summary").length; // 2: the server's and the client's
 * ```
 */
export function eventSpecs(command: string, event: string): EventSpec[] {
  return JSON_EVENTS.filter((group) => group.commands.includes(command))
    .flatMap((group) => group.events.filter((e) => e.name === event));
}

function isType(value: unknown, type: JsonType): boolean {
  switch (type) {
    case "null":
      return value === null;
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
  }
}
