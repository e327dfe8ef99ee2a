/**
 * Reads the runnable steps out of a walkthrough page (docs/LEARN.md) and matches shown
 * output against real output, so tests/learn_doc_test.ts can run the page and fail when
 * it drifts from the program.
 *
 * A step is an HTML comment (invisible when the page is rendered), mostly followed by the
 * fenced block it is about:
 *
 * | marker                                | the block after it                                 |
 * | ------------------------------------- | -------------------------------------------------- |
 * | `<!-- test: run NAME -->`             | one command left running in a terminal called NAME |
 * | `<!-- test: cmd [exit=N] [...] -->`   | commands run to the end (exit 0 unless `exit=N`)   |
 * | `<!-- test: output [loose] -->`       | all the `cmd` before it printed (stdout + stderr)  |
 * | `<!-- test: expect NAME [loose] -->`  | what NAME's terminal shows next                    |
 * | `<!-- test: type NAME -->`            | lines typed into NAME                              |
 * | `<!-- test: file PATH -->`            | a file the reader saves as PATH                    |
 * | `<!-- test: ctrl-c NAME -->`          | none: Ctrl-C in NAME (SIGINT)                      |
 * | `<!-- test: ctrl-d NAME -->`          | none: Ctrl-D in NAME (its input ends)              |
 * | `<!-- test: ended NAME [exit=N] -->`  | none: NAME has exited (with 0 unless `exit=N`)     |
 *
 * A `cmd` marked `unprivileged` runs as a normal user even when the tests run as root
 * (ports below 1024); one marked `checkout` runs in the repository's folder (installing
 * sockit from it). Other steps run in a folder of their own, one per section.
 *
 * Ports: a `run` command with `--port N` (N not 0) is started with `--port 0`, and N is
 * replaced by the port it printed in every later block of the same section. Shown
 * output: `…` matches any text within a line, and a line that is only `…` matches any
 * number of lines (none too); `loose` lets every number match any number (times, byte
 * counts that vary; a duration's unit may change too) and the runs of spaces that align
 * table columns match any run of spaces. Trailing spaces never count, nor blank lines
 * around a command's output.
 *
 * @module
 */

/** One runnable step of the page. */
export type Step =
  | { kind: "run"; line: number; name: string; command: string }
  | {
    kind: "cmd";
    line: number;
    command: string;
    exit: number;
    unprivileged: boolean;
    checkout: boolean;
    output?: Shown;
  }
  | { kind: "expect"; line: number; name: string; shown: Shown }
  | { kind: "type"; line: number; name: string; text: string }
  | { kind: "file"; line: number; path: string; text: string }
  | { kind: "ctrl-c" | "ctrl-d"; line: number; name: string }
  | { kind: "ended"; line: number; name: string; exit: number };

/** Output as the page shows it, with how loosely to compare it. */
export interface Shown {
  line: number;
  lines: string[];
  loose: boolean;
}

/** A `## ` section of the page and its steps, run in order. */
export interface Section {
  title: string;
  line: number;
  steps: Step[];
}

const MARKER = /^<!--\s*test:\s*(.*?)\s*-->\s*$/;
const FENCE = /^(`{3,})/;

/**
 * The sections of `markdown` that have steps, each with its steps in page order.
 *
 * @throws {Error} naming the line of a marker that is malformed or misplaced.
 *
 * @example
 * ```ts
 * const sections = extractSteps(await Deno.readTextFile("docs/LEARN.md"));
 * sections[0].steps[0]; // { kind: "run", name: "server", command: "sockit daytime --port 1313", ... }
 * ```
 */
export function extractSteps(markdown: string): Section[] {
  const lines = markdown.split("\n");
  const sections: Section[] = [];
  let section: Section | undefined;
  for (let i = 0; i < lines.length; i++) {
    const heading = /^## (.*)/.exec(lines[i]);
    if (heading) {
      section = { title: heading[1].trim(), line: i + 1, steps: [] };
      sections.push(section);
      continue;
    }
    const fence = FENCE.exec(lines[i]);
    if (fence) {
      i = blockAt(lines, i).end; // a marker inside a block is text, not a step
      continue;
    }
    const marker = MARKER.exec(lines[i]);
    if (!marker) continue;
    const where = `line ${i + 1}`;
    if (!section) throw new Error(`${where}: a test marker before the first "## " section`);
    const [kind, ...words] = marker[1].split(/\s+/);
    const name = words[0] ?? "";
    const options = parseOptions(words.slice(kind === "cmd" || kind === "output" ? 0 : 1), where);
    const needName = () => {
      if (!name) throw new Error(`${where}: "${kind}" needs a terminal name`);
      return name;
    };
    const next = () => {
      const block = nextBlock(lines, i + 1, where);
      i = block.end;
      return block;
    };
    const line = i + 1;
    switch (kind) {
      case "run":
        section.steps.push({ kind, line, name: needName(), command: next().text });
        break;
      case "cmd":
        section.steps.push({
          kind,
          line,
          command: next().text,
          exit: options.exit ?? 0,
          unprivileged: options.unprivileged,
          checkout: options.checkout,
        });
        break;
      case "output": {
        const last = section.steps.at(-1);
        if (last?.kind !== "cmd" || last.output) {
          throw new Error(`${where}: "output" must follow a "cmd" block`);
        }
        last.output = shown(next(), options.loose);
        break;
      }
      case "expect":
        section.steps.push({ kind, line, name: needName(), shown: shown(next(), options.loose) });
        break;
      case "type":
        section.steps.push({ kind, line, name: needName(), text: next().text });
        break;
      case "file":
        section.steps.push({ kind, line, path: needName(), text: next().text });
        break;
      case "ctrl-c":
      case "ctrl-d":
        section.steps.push({ kind, line, name: needName() });
        break;
      case "ended":
        section.steps.push({ kind, line, name: needName(), exit: options.exit ?? 0 });
        break;
      default:
        throw new Error(`${where}: unknown test marker "${kind}"`);
    }
  }
  return sections.filter((s) => s.steps.length > 0);
}

interface Options {
  exit?: number;
  loose: boolean;
  unprivileged: boolean;
  checkout: boolean;
}

function parseOptions(words: string[], where: string): Options {
  const options: Options = { loose: false, unprivileged: false, checkout: false };
  for (const word of words) {
    const exit = /^exit=(\d+)$/.exec(word);
    if (exit) options.exit = Number(exit[1]);
    else if (word === "loose") options.loose = true;
    else if (word === "unprivileged") options.unprivileged = true;
    else if (word === "checkout") options.checkout = true;
    else throw new Error(`${where}: unknown marker option "${word}"`);
  }
  return options;
}

interface Block {
  /** The line of the fence that opens it (1-based). */
  line: number;
  /** The index of the fence that closes it. */
  end: number;
  text: string;
}

function blockAt(lines: string[], open: number): Block {
  const fence = FENCE.exec(lines[open])![1];
  for (let j = open + 1; j < lines.length; j++) {
    if (lines[j].trimEnd() === fence) {
      return { line: open + 1, end: j, text: lines.slice(open + 1, j).join("\n") };
    }
  }
  throw new Error(`line ${open + 1}: a code block that never closes`);
}

/** The fenced block right after a marker (blank lines between are allowed, text is not). */
function nextBlock(lines: string[], from: number, where: string): Block {
  for (let j = from; j < lines.length; j++) {
    if (lines[j].trim() === "") continue;
    if (FENCE.test(lines[j])) return blockAt(lines, j);
    break;
  }
  throw new Error(`${where}: the marker must be followed by a code block`);
}

function shown(block: Block, loose: boolean): Shown {
  return { line: block.line + 1, lines: block.text.split("\n"), loose };
}

/**
 * Replaces each whole-number occurrence of a key of `ports` in `text` by its value: the
 * page's port (say 7007) becomes the one the server really got.
 *
 * @example
 * ```ts
 * substitutePorts("nc 127.0.0.1 7007", new Map([[7007, 40123]])); // "nc 127.0.0.1 40123"
 * ```
 */
export function substitutePorts(text: string, ports: Map<number, number>): string {
  let out = text;
  for (const [shownPort, realPort] of ports) {
    out = out.replace(new RegExp(`(?<![\\d.])${shownPort}(?![\\d])`, "g"), String(realPort));
  }
  return out;
}

const ELLIPSIS = "…";

/** A number, with the unit when it is a duration: in a `loose` block it matches any. */
const NUMBER = /[+-]?\d+(?:[.,]\d+)*(?:ms|s)?(?![\p{L}\d])|[+-]?\d+/gu;
const ANY_NUMBER = "[+-]?\\d+(?:[.,]\\d+)*(?:µs|ms|s|m)?";

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Text between numbers in a `loose` line: the spaces that align columns may vary too. */
function text(part: string): string {
  return part.split(/ {2,}/).map(escape).join(" +");
}

function linePattern(line: string, loose: boolean): RegExp {
  const parts = line.split(ELLIPSIS).map((part) => {
    if (!loose) return escape(part);
    let out = "";
    let last = 0;
    for (const m of part.matchAll(NUMBER)) {
      out += text(part.slice(last, m.index)) + ANY_NUMBER;
      last = m.index + m[0].length;
    }
    return out + text(part.slice(last));
  });
  return new RegExp(`^${parts.join(".*")}$`, "u");
}

/**
 * How many of `actual`'s first lines the shown output matches in full: the smallest
 * count that works, or `undefined` when no prefix of `actual` matches (yet).
 *
 * @example
 * ```ts
 * const shown = { line: 1, lines: ["read … bytes", "…"], loose: false };
 * matchPrefix(shown, ["read 8 bytes", "write 8 bytes"]); // 1
 * ```
 */
export function matchPrefix(shown: Shown, actual: string[]): number | undefined {
  const match = matcher(shown, actual);
  for (let end = 0; end <= actual.length; end++) if (match(end)) return end;
  return undefined;
}

/**
 * Whether more lines could still make `actual` match: false once the lines so far differ
 * from what the page shows, so a test can fail at once instead of waiting.
 *
 * @example
 * ```ts
 * couldStillMatch({ line: 1, lines: ["a", "b"], loose: false }, ["a"]); // true
 * couldStillMatch({ line: 1, lines: ["a", "b"], loose: false }, ["c"]); // false
 * ```
 */
export function couldStillMatch(shown: Shown, actual: string[]): boolean {
  return matcher(shown, actual, { partial: true })(actual.length);
}

/**
 * Whether the shown output matches all of `actual` (blank lines at the start or end of
 * either do not count: the formatter drops them from the page's blocks).
 *
 * @example
 * ```ts
 * matchesAll({ line: 1, lines: ["time=0.2ms"], loose: true }, ["time=13.07ms"]); // true
 * ```
 */
export function matchesAll(shown: Shown, actual: string[]): boolean {
  const got = dropOuterBlanks(actual);
  return matcher({ ...shown, lines: dropOuterBlanks(shown.lines) }, got)(got.length);
}

function dropOuterBlanks(lines: string[]): string[] {
  const out = [...lines];
  while (out.length > 0 && out.at(-1)!.trim() === "") out.pop();
  while (out.length > 0 && out[0].trim() === "") out.shift();
  return out;
}

/**
 * A test of whether the shown lines match exactly `actual[0..end)` (`partial`: whether
 * their beginning does, the rest of them left over).
 */
function matcher(
  shown: Shown,
  actual: string[],
  options: { partial?: boolean } = {},
): (end: number) => boolean {
  const patterns = shown.lines.map((l) => l.trimEnd()).map((l) =>
    l === ELLIPSIS ? undefined : linePattern(l, shown.loose)
  );
  const got = actual.map((l) => l.trimEnd());
  return (end) => {
    const memo = new Map<number, boolean>();
    const from = (p: number, a: number): boolean => {
      if (a === end && options.partial) return true;
      if (p === patterns.length) return a === end;
      const key = p * (end + 1) + a;
      if (memo.has(key)) return memo.get(key)!;
      const pattern = patterns[p];
      let ok = false;
      if (pattern === undefined) {
        for (let k = a; k <= end && !ok; k++) ok = from(p + 1, k);
      } else {
        ok = a < end && pattern.test(got[a]) && from(p + 1, a + 1);
      }
      memo.set(key, ok);
      return ok;
    };
    return from(0, 0);
  };
}
