/**
 * The room's list of names as the bytes a `welcome` carries, kept up to date as people
 * join, so that welcoming the N-th person copies one buffer instead of building an
 * array, a string and its encoding of N names: in a big room that was N² bytes of
 * garbage over N joins, and most of what an idle client seemed to cost in memory.
 * A join appends; a leave or rename (rarer, and in any order) rebuilds on next use.
 *
 * @module
 */

const encoder = new TextEncoder();

/** The two spellings of a list of names. */
export type ListStyle = "text" | "json";

/** Bytes that grow at the end, doubling their room. */
class Growing {
  bytes = new Uint8Array(0);
  length = 0;

  append(part: Uint8Array): void {
    if (this.length + part.length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(256, 2 * (this.length + part.length)));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.bytes.set(part, this.length);
    this.length += part.length;
  }

  get view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

/**
 * The names in join order as `alice, bob` (text) and `"alice","bob"` (JSON, without
 * the brackets), as bytes.
 *
 * @example
 * ```ts
 * const list = new UserList(() => room.users());
 * list.add("alice");
 * list.add("bob");
 * new TextDecoder().decode(list.bytes("text")); // "alice, bob"
 * ```
 */
export class UserList {
  readonly #names: () => Iterable<string>;
  #text = new Growing();
  #json = new Growing();
  #count = 0;
  #stale = false;

  /** `names`: everyone in the room in join order, for a rebuild. */
  constructor(names: () => Iterable<string>) {
    this.#names = names;
  }

  /** How many names the list holds. */
  get count(): number {
    if (this.#stale) this.#rebuild();
    return this.#count;
  }

  /** Appends a newcomer's name. */
  add(name: string): void {
    if (this.#stale) return; // rebuilt from the room on next use, with the newcomer
    this.#append(name);
  }

  /** Someone left or was renamed: the list is rebuilt when next used. */
  changed(): void {
    this.#stale = true;
  }

  /**
   * The list in `style`. These bytes are never modified afterwards (a join appends past
   * them; a rebuild makes new ones), so they can be queued for many clients as they are.
   */
  bytes(style: ListStyle): Uint8Array {
    if (this.#stale) this.#rebuild();
    return style === "text" ? this.#text.view : this.#json.view;
  }

  #append(name: string): void {
    const first = this.#count === 0;
    this.#text.append(encoder.encode(first ? name : `, ${name}`));
    this.#json.append(encoder.encode(first ? JSON.stringify(name) : `,${JSON.stringify(name)}`));
    this.#count++;
  }

  #rebuild(): void {
    this.#stale = false;
    this.#text = new Growing();
    this.#json = new Growing();
    this.#count = 0;
    for (const name of this.#names()) this.#append(name);
  }
}
