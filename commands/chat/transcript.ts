/**
 * `--log FILE`: the chat transcript as JSONL, appended to the file, one line per event,
 * each line written with one write as it happens (nothing is held back in a buffer, so
 * `tail -f` sees it and a crash loses nothing already said).
 *
 * @module
 */

import { UsageError } from "../../lib/errors.ts";

const encoder = new TextEncoder();

/**
 * An open transcript file.
 *
 * @example
 * ```ts
 * using log = Transcript.open("chat.jsonl");
 * log.write({ type: "join", name: "alice", ts: Date.now() });
 * ```
 */
export class Transcript {
  readonly #file: Deno.FsFile;
  readonly path: string;
  #failed = false;
  /** Called once if a write fails (disk full); the transcript stops then. */
  onError?: (err: unknown) => void;

  private constructor(file: Deno.FsFile, path: string) {
    this.#file = file;
    this.path = path;
  }

  /**
   * Opens `path` for appending, creating it if needed.
   * @throws {UsageError} naming the file when it cannot be opened.
   */
  static open(path: string): Transcript {
    try {
      return new Transcript(Deno.openSync(path, { append: true, create: true }), path);
    } catch (err) {
      const cause = err instanceof Error ? err.message : String(err);
      throw new UsageError(`--log: cannot open ${JSON.stringify(path)} for appending: ${cause}`);
    }
  }

  /** Appends `record` as one JSON line, in one write. */
  write(record: object): void {
    if (this.#failed) return;
    const bytes = encoder.encode(JSON.stringify(record) + "\n");
    try {
      let at = 0;
      while (at < bytes.length) at += this.#file.writeSync(bytes.subarray(at));
    } catch (err) {
      this.#failed = true;
      this.onError?.(err);
    }
  }

  close(): void {
    try {
      this.#file.close();
    } catch { /* already closed */ }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
