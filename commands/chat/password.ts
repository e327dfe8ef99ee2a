/**
 * `chat-serve --password-file FILE` and `chat-join --password-file FILE`: reading the
 * room's password, and checking a client's in the same time whatever it is. Both
 * passwords are hashed (HMAC-SHA-256 under a key drawn at start, so the digests say
 * nothing outside this process) and the two digests, always 32 bytes, are compared by
 * a loop that looks at every byte: neither the length of a guess nor the position of
 * its first wrong character shows in the time the answer takes.
 *
 * @module
 */

import { createHmac, randomBytes } from "node:crypto";
import { UsageError } from "../../lib/errors.ts";
import type { ErrorReply } from "./protocol.ts";

/**
 * The first line of the file at `path` (without its line end), as the password.
 *
 * @throws {UsageError} naming the flag and the file when it cannot be read or its
 * first line is empty.
 *
 * @example
 * ```ts
 * readPassword("room.pass", "--password-file"); // "hunter2"
 * ```
 */
export function readPassword(path: string, flag: string): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${JSON.stringify(path)}: ${errorText(err)}`);
  }
  const first = text.split("\n", 1)[0].replace(/\r$/, "");
  if (first === "") {
    throw new UsageError(`${flag}: the first line of ${JSON.stringify(path)} is empty`, {
      hint: "put the password on the first line",
    });
  }
  return first;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message.replace(/[:,] (readfile|open) .*$/, "") : String(err);
}

/**
 * A password to check guesses against, in constant time.
 *
 * @example
 * ```ts
 * const room = new PasswordCheck("hunter2");
 * room.matches("hunter2"); // true
 * room.matches("hunter3"); // false
 * ```
 */
export class PasswordCheck {
  readonly #key = randomBytes(32);
  readonly #digest: Uint8Array;

  constructor(password: string) {
    this.#digest = this.#hash(password);
  }

  /** Whether `guess` is the password; takes the same time whatever `guess` is. */
  matches(guess: string): boolean {
    return sameBytes(this.#hash(guess), this.#digest);
  }

  #hash(text: string): Uint8Array {
    return createHmac("sha256", this.#key).update(text, "utf8").digest();
  }
}

/** Compares two digests of equal length without an early exit. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i % b.length];
  return diff === 0;
}

/**
 * Why `given` does not let a client in, as the `bad_password` error to send; undefined
 * when it is the password. `given` is undefined when the client sent none.
 *
 * @example
 * ```ts
 * passwordProblem(new PasswordCheck("pw"), "nope")?.code; // "bad_password"
 * passwordProblem(new PasswordCheck("pw"), "pw"); // undefined
 * ```
 */
export function passwordProblem(
  check: PasswordCheck,
  given: string | undefined,
): ErrorReply | undefined {
  // A missing password is checked too (as ""), so it takes as long as a wrong one.
  const right = check.matches(given ?? "") && given !== undefined;
  if (right) return undefined;
  return {
    code: "bad_password",
    message: given === undefined
      ? "This room needs a password (--password-file on the server); none was given"
      : "Wrong password",
  };
}
