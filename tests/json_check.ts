/**
 * The `--json` contract, checked on every event the tests see: `startSockit` and
 * `runSockit` (tests/helpers.ts) pass each stdout line of a `--json` run through
 * {@linkcode checkJsonLine}, which fails on an event or a field that lib/json_events.ts
 * (the schema docs/JSON.md is generated from) does not describe, or a field of the
 * wrong type. With `SOCKIT_JSON_SEEN=FILE` set, every event is also appended to FILE
 * (an inventory); `SOCKIT_JSON_COLLECT=1` only collects, checking nothing.
 *
 * @module
 */

import { eventProblems, type EventSpec, JSON_EVENTS } from "../lib/json_events.ts";

const collectOnly = (() => {
  try {
    return Deno.env.get("SOCKIT_JSON_COLLECT") === "1";
  } catch {
    return false;
  }
})();

const seenFile = (() => {
  try {
    return Deno.env.get("SOCKIT_JSON_SEEN");
  } catch {
    return undefined;
  }
})();

/**
 * Checks one stdout line of `sockit COMMAND ... --json` against the schema.
 *
 * @throws {Error} naming the command, the event and what is wrong, and where to add it.
 *
 * @example
 * ```ts
 * checkJsonLine("echo", '{"event":"listening","transport":"tcp","host":"127.0.0.1","port":7}');
 * ```
 */
export function checkJsonLine(command: string, line: string): void {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`sockit ${command} --json printed a line that is not JSON: ${line}`);
  }
  if (seenFile) {
    Deno.writeTextFileSync(seenFile, JSON.stringify({ command, value }) + "\n", { append: true });
  }
  if (collectOnly) return;
  const problems = eventProblems(command, value);
  if (problems.length > 0) {
    throw new Error(
      `sockit ${command} --json: ${problems.join("; ")}: ${line}\n` +
        "(describe it in lib/json_events.ts, then deno task json-doc to update docs/JSON.md)",
    );
  }
}

/**
 * A line checker for {@linkcode LineReader}, for `args`' command when `args` ask for
 * `--json` (before any `--`), else undefined.
 *
 * @example
 * ```ts
 * const stdout = new LineReader(proc.stdout, jsonChecker(args));
 * ```
 */
export function jsonChecker(args: string[]): ((line: string) => void) | undefined {
  const end = args.indexOf("--");
  if (!(end < 0 ? args : args.slice(0, end)).includes("--json")) return undefined;
  const command = args[0];
  return (line) => checkJsonLine(command, line);
}

export type { EventSpec };
export { JSON_EVENTS };
