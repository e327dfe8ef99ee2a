/** Unit tests of flags as data: parsing, validation, help text, sizes. */

import assert from "node:assert/strict";
import fc from "fast-check";
import { UsageError } from "../lib/errors.ts";
import {
  defineFlags,
  flagName,
  formatBytes,
  helpText,
  parseBytes,
  parseFlags,
} from "../lib/flags.ts";

const flags = defineFlags({
  json: { type: "boolean", help: "print JSON" },
  name: { type: "string", short: "n", help: "a name" },
  host: { type: "string", default: "127.0.0.1", valueName: "HOST", help: "where" },
  send: { type: "strings", help: "text to send, repeatable" },
  count: { type: "integer", short: "c", default: 4, min: 1, max: 100, help: "how many" },
  offset: { type: "integer", help: "any whole number" },
  interval: { type: "duration", default: 1000, help: "pause" },
  idleTimeout: { type: "duration", default: 0, help: "idle limit" },
  size: { type: "bytes", default: 65536, min: 1, max: 1024 ** 2, help: "payload size" },
  transport: { type: "enum", choices: ["tcp", "udp", "both"], default: "tcp", help: "protocol" },
  maxConns: { type: "integer", default: 10_000, help: "limit" },
});

/** The UsageError `fn` throws, checked to be one line. */
function usage(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    assert(err instanceof UsageError, `expected a UsageError, got ${err}`);
    assert.equal(err.exitCode, 2);
    assert(!err.message.includes("\n"), `not one line: ${err.message}`);
    return err;
  }
  assert.fail("expected a UsageError");
}

Deno.test("parseFlags: defaults when nothing is given", () => {
  const { options, positionals, help } = parseFlags([], flags);
  assert.deepStrictEqual(options, {
    json: false,
    name: undefined,
    host: "127.0.0.1",
    send: [],
    count: 4,
    offset: undefined,
    interval: 1000,
    idleTimeout: 0,
    size: 65536,
    transport: "tcp",
    maxConns: 10_000,
  });
  assert.deepStrictEqual(positionals, []);
  assert.equal(help, false);
});

Deno.test("parseFlags: every type converts its value", () => {
  const { options } = parseFlags([
    "--json",
    "-n",
    "ada",
    "--host=::1",
    "--send",
    "a",
    "--send",
    "b c",
    "-c",
    "10",
    "--offset=-5",
    "--interval",
    "250ms",
    "--idle-timeout",
    "1.5",
    "--size",
    "1KiB",
    "--transport",
    "udp",
    "--max-conns",
    "3",
  ], flags);
  assert.deepStrictEqual(options, {
    json: true,
    name: "ada",
    host: "::1",
    send: ["a", "b c"],
    count: 10,
    offset: -5,
    interval: 250,
    idleTimeout: 1500,
    size: 1024,
    transport: "udp",
    maxConns: 3,
  });
});

Deno.test("parseFlags: camelCase keys are kebab-case flags", () => {
  assert.equal(flagName("maxConns"), "max-conns");
  assert.equal(flagName("noColor"), "no-color");
  assert.equal(flagName("port"), "port");
  usage(() => parseFlags(["--maxConns", "3"], flags));
});

Deno.test("parseFlags: an unknown flag is a usage error naming it", () => {
  assert.equal(usage(() => parseFlags(["--bogus"], flags)).message, "unknown flag --bogus");
  assert.equal(usage(() => parseFlags(["-x"], flags)).message, "unknown flag -x");
  assert.equal(usage(() => parseFlags(["--bogus=1"], flags)).message, "unknown flag --bogus");
});

Deno.test("parseFlags: a missing value names the flag by its long name", () => {
  assert.equal(usage(() => parseFlags(["--count"], flags)).message, "--count needs a value");
  assert.equal(usage(() => parseFlags(["-c"], flags)).message, "--count needs a value");
  assert.equal(usage(() => parseFlags(["--host"], flags)).message, "--host needs a value");
  // The next argument looks like a flag: ambiguous, so the value counts as missing.
  assert.equal(
    usage(() => parseFlags(["--name", "--json"], flags)).message,
    "--name needs a value",
  );
});

Deno.test("parseFlags: a value given to a boolean flag is a usage error", () => {
  assert.equal(usage(() => parseFlags(["--json=1"], flags)).message, "--json takes no value");
  const withShort = defineFlags({ udp: { type: "boolean", short: "u", help: "udp" } });
  assert.equal(usage(() => parseFlags(["--udp=yes"], withShort)).message, "--udp takes no value");
});

Deno.test("parseFlags: a duration below its minimum is a usage error (--timeout 0)", () => {
  const timeouts = defineFlags({
    timeout: { type: "duration", default: 5000, min: 1, help: "longest wait" },
  });
  assert.equal(
    usage(() => parseFlags(["--timeout", "0"], timeouts)).message,
    '--timeout: "0" is shorter than the minimum of 1ms',
  );
  assert.equal(parseFlags(["--timeout", "1ms"], timeouts).options.timeout, 1);
});

Deno.test("parseFlags: bad values are usage errors naming the flag and the value", () => {
  const cases: [string[], RegExp][] = [
    [["--count", "x"], /^--count: "x" is not a whole number$/],
    [["--count", "1.5"], /^--count: "1.5" is not a whole number$/],
    [["--count", "0"], /^--count: 0 is below the minimum of 1$/],
    [["--count", "101"], /^--count: 101 is above the maximum of 100$/],
    [["--interval", "soon"], /^--interval: "soon" is not a duration/],
    [["--interval=-1s"], /^--interval: "-1s" is not a duration/],
    [["--interval", "-1s"], /^--interval: "-1s" is not a duration/],
    [["--count", "-5"], /^--count: -5 is below the minimum of 1$/],
    [["-c", "-5"], /^--count: -5 is below the minimum of 1$/],
    [["--interval", "1000h"], /^--interval: "1000h" is longer than the longest wait, 596h$/],
    [["--count", "99999999999999999999"], /^--count: "99999999999999999999" is not a whole/],
    [["--size", "lots"], /^--size: "lots" is not a size/],
    [["--size", "2MiB"], /^--size: 2097152 is above the maximum of 1048576$/],
    [["--size", "0"], /^--size: 0 is below the minimum of 1$/],
    [["--transport", "sctp"], /^--transport: "sctp" is not one of tcp, udp, both$/],
  ];
  for (const [args, pattern] of cases) {
    const err = usage(() => parseFlags(args, flags));
    assert.match(err.message, pattern, args.join(" "));
  }
});

Deno.test("parseFlags: the longest duration a timer can wait is accepted", () => {
  assert.equal(parseFlags(["--interval", "596h"], flags).options.interval, 596 * 3_600_000);
});

Deno.test("parseFlags: positionals are refused, or bounded by max", () => {
  assert.equal(usage(() => parseFlags(["extra"], flags)).message, 'unexpected argument "extra"');
  const positional = { name: "SERVER", help: "servers to ask", max: 2 };
  assert.deepStrictEqual(parseFlags(["a", "b"], flags, positional).positionals, ["a", "b"]);
  assert.equal(
    usage(() => parseFlags(["a", "b", "c"], flags, positional)).message,
    'unexpected argument "c"',
  );
  const unlimited = { name: "SERVER", help: "servers" };
  assert.equal(parseFlags(["a", "b", "c", "d"], flags, unlimited).positionals.length, 4);
  // After "--", a dash is a positional.
  assert.deepStrictEqual(parseFlags(["--", "-x"], flags, unlimited).positionals, ["-x"]);
});

Deno.test("parseFlags: -h and --help ask for help", () => {
  assert.equal(parseFlags(["-h"], flags).help, true);
  assert.equal(parseFlags(["--count", "3", "--help"], flags).help, true);
});

Deno.test("helpText: usage, every flag with its default, and the examples", () => {
  const text = helpText({
    name: "demo",
    summary: "a demonstration",
    usage: ["[flags]", "--name NAME"],
    description: "Does demonstrations.",
    flags,
    positional: { name: "SERVER", help: "servers to ask" },
    examples: ["sockit demo --count 3", "sockit demo --json"],
  });
  const lines = text.split("\n");
  assert.equal(lines[0], "sockit demo — a demonstration");
  assert(text.includes("  sockit demo [flags]\n  sockit demo --name NAME\n"), text);
  assert(text.includes("Does demonstrations."));
  assert(text.includes("SERVER"));
  const lineOf = (flag: string) => {
    const found = lines.find((l) => new RegExp(`^\\s+(-\\w, )?${flag}( |$)`).test(l));
    assert(found, `no line for ${flag}:\n${text}`);
    return found;
  };
  for (const key of Object.keys(flags)) lineOf(`--${flagName(key)}`);
  assert.match(lineOf("--json"), /print JSON$/);
  assert.match(lineOf("--name"), /-n, --name TEXT/);
  assert.match(lineOf("--host"), /--host HOST .*\(default 127\.0\.0\.1\)/);
  assert.match(lineOf("--count"), /-c, --count N .*\(default 4\)/);
  assert.match(lineOf("--interval"), /--interval DURATION .*\(default 1s\)/);
  assert.match(lineOf("--idle-timeout"), /\(default 0\)/);
  assert.match(lineOf("--size"), /--size SIZE .*\(default 64KiB\)/);
  assert.match(lineOf("--transport"), /--transport tcp\|udp\|both .*\(default tcp\)/);
  assert.match(lineOf("--max-conns"), /\(default 10000\)/);
  assert.doesNotMatch(lineOf("--send"), /default/);
  assert.match(lineOf("--help"), /-h, --help/);
  assert(text.includes("Examples:\n  sockit demo --count 3\n  sockit demo --json\n"), text);
  // Every default shown parses back to the declared default.
  for (const line of lines) {
    const m = /\(default ([^)]+)\)/.exec(line);
    if (!m) continue;
    const flag = /--([\w-]+)/.exec(line)![1];
    const parsed = parseFlags([`--${flag}`, m[1]], flags).options as Record<string, unknown>;
    const key = flag.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    assert.deepStrictEqual(
      parsed[key],
      (flags as Record<string, { default?: unknown }>)[key].default,
    );
  }
});

Deno.test("helpText: long help wraps under its column", () => {
  const text = helpText({
    name: "w",
    summary: "wrapping",
    usage: [""],
    flags: defineFlags({ x: { type: "boolean", help: "word ".repeat(60).trim() } }),
    examples: [],
  });
  for (const line of text.split("\n")) assert(line.length <= 100, `too long: ${line}`);
  assert(!text.includes("Examples:"));
});

Deno.test("parseBytes: plain numbers and binary units", () => {
  const cases: [string, number | undefined][] = [
    ["512", 512],
    ["0", 0],
    ["64KiB", 65536],
    ["64k", 65536],
    ["64KB", 65536],
    ["1MiB", 1024 ** 2],
    ["1M", 1024 ** 2],
    ["2GiB", 2 * 1024 ** 3],
    ["1.5k", 1536],
    ["10b", 10],
    [" 1 KiB ", 1024],
    ["lots", undefined],
    ["-1", undefined],
    ["1TB", undefined],
    ["", undefined],
    ["1e3", undefined],
  ];
  for (const [text, n] of cases) assert.equal(parseBytes(text), n, text);
});

Deno.test("formatBytes: the largest binary unit that divides, read back by parseBytes", () => {
  assert.equal(formatBytes(65536), "64KiB");
  assert.equal(formatBytes(1000), "1000");
  assert.equal(formatBytes(1024 ** 3), "1GiB");
  assert.equal(formatBytes(1536), "1536");
  assert.equal(formatBytes(0), "0");
  fc.assert(
    fc.property(fc.nat({ max: Math.floor(Number.MAX_SAFE_INTEGER / 2) }), (n) => {
      assert.equal(parseBytes(formatBytes(n)), n);
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.nat({ max: 1 << 20 }), fc.constantFrom(1, 1024, 1024 ** 2), (n, unit) => {
      assert.equal(parseBytes(formatBytes(n * unit)), n * unit);
    }),
    { numRuns: 300 },
  );
});

Deno.test("parseFlags: given lists the flags typed, one at its default value too", () => {
  const flags = defineFlags({
    port: { type: "integer", default: 7, help: "port" },
    quiet: { type: "boolean", help: "quiet" },
    count: { type: "integer", default: 4, help: "count" },
  });
  const parsed = parseFlags(["--port", "7", "--quiet"], flags);
  assert.deepStrictEqual(parsed.given, ["port", "quiet"]);
  assert.equal(parseFlags([], flags).given.length, 0);
});

Deno.test("parseFlags: the getopt forms: --f=v, -fV, grouped short booleans, -- and -", () => {
  const shorts = defineFlags({
    udp: { type: "boolean", short: "u", help: "udp" },
    quiet: { type: "boolean", short: "q", help: "quiet" },
    count: { type: "integer", short: "c", default: 4, help: "how many" },
    send: { type: "strings", short: "s", help: "repeatable" },
  });
  const parsed = parseFlags(
    ["-uqc7", "--send=a", "-sb", "-s", "c", "-", "--", "--udp"],
    shorts,
    { name: "X", help: "anything" },
  );
  assert.deepStrictEqual(parsed.options, {
    udp: true,
    quiet: true,
    count: 7,
    send: ["a", "b", "c"],
  });
  assert.deepStrictEqual(parsed.positionals, ["-", "--udp"]);
  assert.equal(parseFlags(["--count=-3", "-c", "5"], shorts).options.count, 5, "the last wins");
  assert.equal(usage(() => parseFlags(["-ux"], shorts)).message, "unknown flag -x");
});

Deno.test("parseFlags: an unknown flag near a known one suggests it", () => {
  assert.equal(usage(() => parseFlags(["--cout", "3"], flags)).hint, "did you mean --count?");
  assert.equal(usage(() => parseFlags(["--max-con"], flags)).hint, "did you mean --max-conns?");
  assert.equal(usage(() => parseFlags(["--zzzzzz"], flags)).hint, "see --help");
});
