/**
 * Closing a socket (or file) that may be closed already: a peer's reset, a close racing
 * another, a resource a failed handshake took down. None of those is worth an error.
 *
 * @module
 */

/**
 * Closes `resource`, ignoring that it was closed already.
 *
 * @example
 * ```ts
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: 7 });
 * closeQuietly(conn);
 * closeQuietly(conn); // no BadResource
 * ```
 */
export function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch { /* closed already */ }
}
