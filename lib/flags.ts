/**
 * Flags as data. Each command declares its flags once — name, type, default, help — and
 * parsing, validation and the `--help` text all come from that one declaration, so they
 * can never disagree. Parsing is two steps (ripgrep-style): the raw arguments are split
 * into flags and positionals, then every value is checked and converted to its type;
 * commands only ever see the typed options.
 *
 * @module
 */

import { formatDuration, parseDuration } from "./duration.ts";
import { UsageError } from "./errors.ts";
import { closest } from "./suggest.ts";
import { wrap } from "./wrap.ts";

interface FlagBase {
  /** One line of help; the default is appended by the help text. */
  help: string;
  /** A one-letter alias, e.g. `c` for `-c`. */
  short?: string;
  /** The value's name in help, e.g. `HOST:PORT`. */
  valueName?: string;
}

/** A flag that is present or not (`--json`). */
export interface BooleanFlag extends FlagBase {
  type: "boolean";
  default?: boolean;
}
/** A text value. */
export interface StringFlag extends FlagBase {
  type: "string";
  default?: string;
}
/** A text value that may be given several times (`--send a --send b`). */
export interface StringListFlag extends FlagBase {
  type: "strings";
}
/** A whole number, optionally bounded. */
export interface IntegerFlag extends FlagBase {
  type: "integer";
  default?: number;
  min?: number;
  max?: number;
}
/** A duration (`250ms`, `2s`, `1m`, bare seconds), parsed to milliseconds. */
export interface DurationFlag extends FlagBase {
  type: "duration";
  /** In milliseconds. */
  default?: number;
  /** The shortest accepted, in milliseconds (e.g. 1 for a timeout, where 0 means nothing). */
  min?: number;
}
/** A size in bytes (`512`, `64KiB`, `1MiB`; `k`/`M` are binary too). */
export interface BytesFlag extends FlagBase {
  type: "bytes";
  default?: number;
  min?: number;
  max?: number;
}
/** One of a fixed list of words. */
export interface EnumFlag<C extends string = string> extends FlagBase {
  type: "enum";
  choices: readonly C[];
  default?: C;
}

/** One flag's declaration. */
export type FlagSpec =
  | BooleanFlag
  | StringFlag
  | StringListFlag
  | IntegerFlag
  | DurationFlag
  | BytesFlag
  | EnumFlag;

/** A command's flags, keyed by camelCase name (`maxConns` is `--max-conns`). */
export type Flags = Record<string, FlagSpec>;

type ValueOf<F> = F extends { type: "boolean" } ? boolean
  : F extends { type: "integer" | "duration" | "bytes" } ? number
  : F extends { type: "enum"; choices: readonly (infer C)[] } ? C
  : F extends { type: "strings" } ? string[]
  : string;

type Parsed<F> = F extends { type: "boolean" | "strings" } ? ValueOf<F>
  : F extends { default: unknown } ? ValueOf<F>
  : ValueOf<F> | undefined;

/** The typed options a command receives for its flag declaration `F`. */
export type Options<F extends Flags> = { -readonly [K in keyof F]: Parsed<F[K]> };

/**
 * Declares flags with their literal types kept, so `Options<typeof flags>` knows that
 * `transport` is `"tcp" | "udp" | "both"`.
 *
 * @example
 * ```ts
 * const flags = defineFlags({
 *   port: { type: "integer", default: 7, min: 0, max: 65535, help: "port to listen on" },
 *   transport: { type: "enum", choices: ["tcp", "udp"], default: "tcp", help: "protocol" },
 * });
 * ```
 */
export function defineFlags<const F extends Flags>(flags: F): F {
  return flags;
}

/**
 * The name a flag has on the command line: `maxConns` → `max-conns`.
 *
 * @example
 * ```ts
 * flagName("maxConns"); // "max-conns"
 * ```
 */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The positional arguments a command takes, for parsing and help. */
export interface PositionalSpec {
  /** As shown in usage, e.g. `SERVER`. */
  name: string;
  help: string;
  /** The most that may be given; unlimited when absent. */
  max?: number;
}

/** The result of {@linkcode parseFlags}. */
export interface ParsedArgs<F extends Flags> {
  options: Options<F>;
  positionals: string[];
  /**
   * The flags (by key, `maxConns`) given on the command line, not left at their default:
   * for a command's resolve step to check combinations a default would hide (a server
   * flag given to the client, even at its default value).
   */
  given: string[];
  /** `-h` or `--help` was given: show help and do nothing else. */
  help: boolean;
}

/**
 * Parses and checks a command's arguments against its flag declaration.
 *
 * @throws {UsageError} naming the flag for an unknown flag (with the nearest known one
 * as a hint), a missing or bad value, or too many positional arguments.
 *
 * @example
 * ```ts
 * const flags = defineFlags({ count: { type: "integer", default: 4, help: "probes" } });
 * parseFlags(["--count", "10"], flags).options.count; // 10
 * ```
 */
export function parseFlags<F extends Flags>(
  args: string[],
  flags: F,
  positional?: PositionalSpec,
): ParsedArgs<F> {
  const raw = splitArgs(args, flags);
  const options: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const [key, spec] of Object.entries(flags)) {
    options[key] = convert(flagName(key), spec, raw.values.get(key));
    if (raw.values.has(key)) given.add(key);
  }
  if (raw.positionals.length > 0 && !positional) {
    throw new UsageError(`unexpected argument "${raw.positionals[0]}"`);
  }
  if (positional?.max !== undefined && raw.positionals.length > positional.max) {
    throw new UsageError(`unexpected argument "${raw.positionals[positional.max]}"`);
  }
  return {
    options: options as Options<F>,
    positionals: raw.positionals,
    given: [...given],
    help: raw.values.get("help") === true,
  };
}

/** The flag a command-line word names, as {@linkcode splitArgs} looks it up. */
interface Known {
  key: string;
  /** Its long name with dashes, for messages: `--count`. */
  long: string;
  takesValue: boolean;
  multiple: boolean;
}

/**
 * Step one of parsing (the getopt_long rules, as node:util's parseArgs has them, which
 * this replaces because loading node:util costs every start-up a few milliseconds):
 * `--name value`, `--name=value`, `-n value`, `-nvalue`, grouped short booleans (`-uv`),
 * `--` ends the flags. A value that looks like a flag (`--name --json`) is taken as the
 * value missing, except a negative number (`--interval -1`), so the user hears what is
 * wrong with -1.
 */
function splitArgs(
  args: string[],
  flags: Flags,
): { values: Map<string, true | string | string[]>; positionals: string[] } {
  const longs = new Map<string, Known>();
  const shorts = new Map<string, Known>();
  const add = (key: string, spec: { type: string; short?: string }) => {
    const known = {
      key,
      long: `--${flagName(key)}`,
      takesValue: spec.type !== "boolean",
      multiple: spec.type === "strings",
    };
    longs.set(known.long, known);
    if (spec.short) shorts.set(`-${spec.short}`, known);
  };
  add("help", { type: "boolean", short: "h" });
  for (const [key, spec] of Object.entries(flags)) add(key, spec);

  const values = new Map<string, true | string | string[]>();
  const positionals: string[] = [];
  const set = (known: Known, value: true | string) => {
    if (!known.multiple) return values.set(known.key, value);
    const list = values.get(known.key) as string[] | undefined;
    values.set(known.key, [...(list ?? []), value as string]);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const valueAfter = (known: Known): string => {
      const next = args[i + 1];
      if (next === undefined || (next.startsWith("-") && next !== "-" && !/^-\.?\d/.test(next))) {
        throw new UsageError(`${known.long} needs a value`);
      }
      i++;
      return next;
    };
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg : arg.slice(0, eq);
      const known = longs.get(name) ?? unknownFlag(name, [...longs.keys()]);
      if (!known.takesValue) {
        if (eq >= 0) throw new UsageError(`${known.long} takes no value`);
        set(known, true);
      } else {
        set(known, eq >= 0 ? arg.slice(eq + 1) : valueAfter(known));
      }
    } else if (arg.startsWith("-") && arg !== "-") {
      // A group of short flags: booleans, until one that takes the rest (or the next word).
      for (let at = 1; at < arg.length; at++) {
        const name = `-${arg[at]}`;
        const known = shorts.get(name) ?? unknownFlag(name, [...shorts.keys()]);
        if (!known.takesValue) {
          set(known, true);
          continue;
        }
        const rest = arg.slice(at + 1);
        set(known, rest !== "" ? rest : valueAfter(known));
        break;
      }
    } else {
      positionals.push(arg);
    }
  }
  return { values, positionals };
}

function unknownFlag(name: string, known: string[]): never {
  const near = name.startsWith("--") ? closest(name, known) : undefined;
  throw new UsageError(`unknown flag ${name}`, near ? { hint: `did you mean ${near}?` } : {});
}

function convert(name: string, spec: FlagSpec, raw: unknown): unknown {
  if (spec.type === "boolean") return raw === true ? true : spec.default ?? false;
  if (spec.type === "strings") return (raw as string[] | undefined) ?? [];
  if (raw === undefined) return spec.default;
  const text = raw as string;
  const bad = (what: string) => new UsageError(`--${name}: "${text}" is not ${what}`);
  switch (spec.type) {
    case "string":
      return text;
    case "enum":
      if (!spec.choices.includes(text)) throw bad(`one of ${spec.choices.join(", ")}`);
      return text;
    case "integer": {
      if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
        throw bad("a whole number");
      }
      return inRange(name, Number(text), spec.min, spec.max);
    }
    case "duration": {
      const ms = parseDuration(text);
      if (ms === undefined) throw bad("a duration (like 250ms, 2s, 1.5s, 1m)");
      // A timer given more than 2^31-1 ms fires at once (Deno, like browsers, clamps
      // it to 1 ms): "--timeout 1000h" would time out immediately.
      if (ms > MAX_DURATION_MS) {
        throw new UsageError(`--${name}: "${text}" is longer than the longest wait, 596h`);
      }
      if (spec.min !== undefined && ms < spec.min) {
        throw new UsageError(
          `--${name}: "${text}" is shorter than the minimum of ${formatDuration(spec.min)}`,
        );
      }
      return ms;
    }
    case "bytes": {
      const bytes = parseBytes(text);
      if (bytes === undefined) throw bad("a size (like 512, 64KiB, 1MiB)");
      return inRange(name, bytes, spec.min, spec.max);
    }
  }
}

/** 596 hours: the longest whole-hour wait a timer can take (2^31-1 ms is 596.5 h). */
const MAX_DURATION_MS = 596 * 3_600_000;

function inRange(name: string, n: number, min?: number, max?: number): number {
  if (min !== undefined && n < min) {
    throw new UsageError(`--${name}: ${n} is below the minimum of ${min}`);
  }
  if (max !== undefined && n > max) {
    throw new UsageError(`--${name}: ${n} is above the maximum of ${max}`);
  }
  return n;
}

const BYTE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/**
 * Parses a size: a number of bytes with an optional binary unit (`k`, `KiB`, `M`, `MiB`,
 * `G`, `GiB`; `KB` and `MB` are read as binary too).
 *
 * @example
 * ```ts
 * parseBytes("64KiB"); // 65536
 * parseBytes("1.5k"); // 1536
 * parseBytes("lots"); // undefined
 * ```
 */
export function parseBytes(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = BYTE_UNITS[match[2].toLowerCase()];
  if (unit === undefined) return undefined;
  const n = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Formats a byte count in the largest binary unit that divides it, as
 * {@linkcode parseBytes} reads it back.
 *
 * @example
 * ```ts
 * formatBytes(65536); // "64KiB"
 * formatBytes(1000); // "1000"
 * ```
 */
export function formatBytes(n: number): string {
  for (const [unit, size] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) {
    if (n >= size && n % size === 0) return `${n / size}${unit}`;
  }
  return String(n);
}

/** What {@linkcode helpText} needs to know about a command. */
export interface HelpSource {
  name: string;
  summary: string;
  usage: string[];
  description?: string;
  flags: Flags;
  positional?: PositionalSpec;
  examples: string[];
}

/**
 * The `--help` text of a command, generated from its declaration: usage, description,
 * every flag with its default, examples.
 *
 * @example
 * ```ts
 * console.log(helpText(echo));
 * ```
 */
export function helpText(cmd: HelpSource): string {
  const lines = [`sockit ${cmd.name} — ${cmd.summary}`, "", "Usage:"];
  for (const usage of cmd.usage) lines.push(`  sockit ${cmd.name} ${usage}`);
  if (cmd.description) lines.push("", ...cmd.description.trim().split("\n"));
  if (cmd.positional) {
    lines.push("", "Arguments:", `  ${cmd.positional.name.padEnd(24)} ${cmd.positional.help}`);
  }
  lines.push("", "Flags:");
  const rows: [string, string][] = Object.entries(cmd.flags).map(([key, spec]) => [
    flagUsage(key, spec),
    spec.help + helpDefault(spec),
  ]);
  rows.push(["-h, --help", "show this help"]);
  // A flag whose name and value list are very long (`--mode unsafe|atomic|...`) gets
  // its help on the next line, so one long flag does not squeeze every other help text.
  const fits = rows.filter(([left]) => left.length <= HELP_LEFT_MAX);
  const width = Math.max(...fits.map(([left]) => left.length)) + 2;
  for (const [left, right] of rows) {
    const [first = "", ...more] = wrap(right, HELP_WIDTH - width - 2);
    if (left.length > HELP_LEFT_MAX) {
      lines.push(`  ${left}`);
      lines.push(`  ${" ".repeat(width)}${first}`);
    } else {
      lines.push(`  ${left.padEnd(width)}${first}`);
    }
    for (const line of more) lines.push(`  ${" ".repeat(width)}${line}`);
  }
  const units = valueNotes(cmd.flags);
  if (units.length > 0) lines.push("", ...units);
  if (cmd.examples.length > 0) {
    lines.push("", "Examples:");
    for (const example of cmd.examples) lines.push(`  ${example}`);
  }
  return lines.join("\n") + "\n";
}

/**
 * How to write the values of the kinds of flag a command has: a bare number of seconds
 * for a duration surprises people used to milliseconds, so help says it.
 *
 * @example
 * ```ts
 * valueNotes({ interval: { type: "duration", help: "pause" } });
 * // ["DURATION: 250ms, 2s, 1.5s, 1m, 2h; a bare number means seconds (1.5 is 1.5s)"]
 * ```
 */
export function valueNotes(flags: Flags): string[] {
  const types = new Set(Object.values(flags).map((spec) => spec.type));
  return [
    ...(types.has("duration")
      ? ["DURATION: 250ms, 2s, 1.5s, 1m, 2h; a bare number means seconds (1.5 is 1.5s)"]
      : []),
    ...(types.has("bytes")
      ? ["SIZE: bytes, or with a binary unit: 512, 64KiB, 1MiB (k = KiB)"]
      : []),
  ];
}

const HELP_WIDTH = 100;
/** Longest flag column kept on one line with its help. */
const HELP_LEFT_MAX = 30;

function flagUsage(key: string, spec: FlagSpec): string {
  const long = `--${flagName(key)}`;
  const names = spec.short ? `-${spec.short}, ${long}` : `    ${long}`;
  if (spec.type === "boolean") return names;
  return `${names} ${valueName(spec)}`;
}

/**
 * How help shows a flag's value: its `valueName`, an enum's choices, or a word for its
 * type. Completions (lib/completions.ts) read it too: a value named `FILE` completes
 * file names.
 *
 * @example
 * ```ts
 * valueName({ type: "duration", help: "pause" }); // "DURATION"
 * valueName({ type: "enum", choices: ["tcp", "udp"], help: "" }); // "tcp|udp"
 * ```
 */
export function valueName(spec: FlagSpec): string {
  if (spec.type === "boolean") return "";
  return spec.valueName ?? (spec.type === "enum" ? spec.choices.join("|") : {
    string: "TEXT",
    strings: "TEXT",
    integer: "N",
    duration: "DURATION",
    bytes: "SIZE",
  }[spec.type]);
}

/**
 * The ` (default ...)` that help appends to a flag's text, empty when it has none.
 *
 * @example
 * ```ts
 * helpDefault({ type: "duration", default: 1000, help: "pause" }); // " (default 1s)"
 * ```
 */
export function helpDefault(spec: FlagSpec): string {
  if (spec.type === "boolean" || spec.type === "strings" || spec.default === undefined) return "";
  if (spec.type === "duration") return ` (default ${formatDuration(spec.default)})`;
  if (spec.type === "bytes") return ` (default ${formatBytes(spec.default)})`;
  return ` (default ${spec.default})`;
}
