/**
 * Certificates for the TLS tests, made at test time with the `openssl` command (never
 * checked in): a small CA; a server certificate it signed for 127.0.0.1 and localhost
 * (`basicConstraints=CA:FALSE`: rustls refuses a CA as a server certificate); an
 * expired one; one for another name; and a self-signed one nobody trusts. Made once per
 * test process, in a temporary folder removed at exit.
 */

import { join } from "node:path";
import { hasTool } from "./helpers.ts";

/** Paths of the PEM files {@linkcode testCerts} made. */
export interface TestCerts {
  dir: string;
  /** The CA that signed `cert`, `expired` and `wrongName`. */
  ca: string;
  /** For 127.0.0.1 and localhost, valid now. */
  cert: string;
  /** The key of every certificate below. */
  key: string;
  /** Same names, valid only in 2020. */
  expired: string;
  /** For other.example only. */
  wrongName: string;
  /** Self-signed by a CA that is in no trust store. */
  untrusted: string;
  untrustedCa: string;
}

/** Why TLS tests skip here, or undefined when `openssl` is present. */
export function tlsSkipReason(): string | undefined {
  return hasTool("openssl") ? undefined : "openssl is not installed (.ci/run installs it)";
}

let made: Promise<TestCerts> | undefined;

/**
 * The test certificates, made on first use.
 *
 * @example
 * ```ts
 * const certs = await testCerts();
 * await startSockit(["echo", "--port", "0", "--tls-cert", certs.cert, "--tls-key", certs.key]);
 * ```
 */
export function testCerts(): Promise<TestCerts> {
  return made ??= make();
}

async function make(): Promise<TestCerts> {
  const dir = await Deno.makeTempDir({ prefix: "sockit-tls-" });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* gone */ }
  });
  const at = (name: string) => join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl(dir, [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=sockit test CA",
  ]);
  await openssl(dir, [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "other-ca.key",
    "-out",
    "other-ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=nobody's CA",
  ]);
  await openssl(dir, [
    "req",
    ...ec,
    "-keyout",
    "leaf.key",
    "-out",
    "leaf.csr",
    "-subj",
    "/CN=localhost",
  ]);
  await Deno.writeTextFile(at("leaf.ext"), leafExt("IP:127.0.0.1,IP:::1,DNS:localhost"));
  await Deno.writeTextFile(at("wrong.ext"), leafExt("DNS:other.example"));
  const sign = (ca: string, ext: string, out: string) =>
    openssl(dir, [
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      `${ca}.pem`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      ext,
      "-out",
      out,
    ]);
  await sign("ca", "leaf.ext", "leaf.pem");
  await sign("ca", "wrong.ext", "wrong.pem");
  await sign("other-ca", "leaf.ext", "untrusted.pem");
  await expiredCert(dir);
  return {
    dir,
    ca: at("ca.pem"),
    cert: at("leaf.pem"),
    key: at("leaf.key"),
    expired: at("expired.pem"),
    wrongName: at("wrong.pem"),
    untrusted: at("untrusted.pem"),
    untrustedCa: at("other-ca.pem"),
  };
}

function leafExt(names: string): string {
  return `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n` +
    `extendedKeyUsage=serverAuth\nsubjectAltName=${names}\n`;
}

/** `openssl x509` cannot backdate (3.0): `openssl ca` with explicit dates can. */
async function expiredCert(dir: string): Promise<void> {
  await Deno.writeTextFile(join(dir, "index.txt"), "");
  await Deno.writeTextFile(join(dir, "serial"), "1000\n");
  await Deno.writeTextFile(
    join(dir, "ca.cnf"),
    `[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n` +
      `default_md = sha256\npolicy = p\nunique_subject = no\n[p]\ncommonName = supplied\n`,
  );
  await openssl(dir, [
    "ca",
    "-batch",
    "-notext",
    "-config",
    "ca.cnf",
    "-cert",
    "ca.pem",
    "-keyfile",
    "ca.key",
    "-in",
    "leaf.csr",
    "-out",
    "expired.pem",
    "-extfile",
    "leaf.ext",
    "-startdate",
    "20200101000000Z",
    "-enddate",
    "20200102000000Z",
  ]);
}

async function openssl(cwd: string, args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command("openssl", {
    args,
    cwd,
    stdout: "null",
    stderr: "piped",
  })
    .output();
  if (code !== 0) {
    throw new Error(`openssl ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
  }
}
