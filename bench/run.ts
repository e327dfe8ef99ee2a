/**
 * `deno task bench [NAME ...]`: runs every `bench/*_bench.ts` (or those whose name
 * contains one of the NAMEs) one after another, each in its own process so one
 * benchmark's servers and load never overlap another's. Benchmarks, not tests: they
 * print figures and ratios against a peer measured in the same run.
 *
 * @module
 */

const filters = Deno.args;
const dir = new URL("./", import.meta.url);
const files = [...Deno.readDirSync(dir)]
  .map((e) => e.name)
  .filter((name) => name.endsWith("_bench.ts"))
  .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
  .sort();

let failed = 0;
for (const name of files) {
  console.log(`\n=== ${name} ===`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL(name, dir).pathname],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    failed++;
    console.log(`${name} exited with ${code}`);
  }
}
Deno.exit(failed === 0 ? 0 : 1);
