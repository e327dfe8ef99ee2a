/**
 * Asking real shells for completions, as a person pressing Tab would: bash through
 * `COMP_WORDS` and the completion function, zsh through an interactive shell in a pty
 * (zsh/zpty) with compinit, fish through `complete -C`. Each returns the candidates.
 *
 * @module
 */

import { runTool } from "./helpers.ts";

const decoder = new TextDecoder();

/**
 * The words bash's completion function offers for `line` (the last word is completed;
 * end the line with a space to complete a new, empty word).
 *
 * @example
 * ```ts
 * await bashComplete(script, "sockit echo --tr"); // ["--transport", "--trace"]
 * ```
 */
export async function bashComplete(script: string, line: string): Promise<string[]> {
  const words = line.split(" ");
  const quoted = words.map((w) => `'${w.replace(/'/g, "'\\''")}'`).join(" ");
  const { stdout, stderr, code } = await runTool("bash", [
    "--norc",
    "--noprofile",
    "-c",
    `${script}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _sockit; ` +
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ]);
  if (code !== 0) throw new Error(`bash exited ${code}: ${stderr}`);
  return lines(decoder.decode(stdout));
}

/**
 * Types a line into an interactive zsh in a pty, presses Tab, prints what compadd got.
 * It waits for the prompt before typing: keys typed while zsh still runs the set-up
 * are not always seen by the line editor. The markers are written split in two
 * (`"<""hit>"`) so the shell's echo of the input never matches them.
 */
const ZSH_CAPTURE = `
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "fpath=('$1' \\$fpath)"
zpty -w z "autoload -U compinit && compinit -u -D"
zpty -w z 'compadd () {
  if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd "$@"; return $?; fi
  typeset -a __hits
  builtin compadd -A __hits "$@"
  (( $#__hits )) || return 1
  local h; for h in $__hits; do print -r -- "<""hit>$h"; done
}'
zpty -w z 'finish () { print "<""done>"; exit }; zle -N finish; bindkey "^X" finish'
zpty -w z "PS1='<''prompt>'; print '<''ready>'"
local out
zpty -r z out '*<ready>*'
zpty -r z out '*<prompt>*'
zpty -w -n z "$2"$'\\t\\x18'
local line
while zpty -r z line; do
  [[ $line == *'<done>'* ]] && break
  [[ $line == *'<hit>'* ]] && print -r -- "\${\${line##*<hit>}%%$'\\r'}"
done
zpty -d z
`;

/**
 * The candidates zsh's completion system offers for `line`, with the completion file
 * `_sockit` in `dir` on `$fpath`, as installing it there would.
 *
 * @example
 * ```ts
 * await zshComplete(dir, "sockit echo --transport "); // ["tcp", "udp", "both"]
 * ```
 */
export async function zshComplete(dir: string, line: string): Promise<string[]> {
  const harness = `${dir}/capture.zsh`;
  await Deno.writeTextFile(harness, ZSH_CAPTURE);
  const { stdout, stderr, code } = await runTool("zsh", ["-f", harness, dir, line], {
    timeoutMs: 20_000,
  });
  if (code !== 0) throw new Error(`zsh exited ${code}: ${stderr}`);
  return lines(decoder.decode(stdout));
}

/**
 * The candidates fish offers for `line` (`complete -C`), without their descriptions.
 *
 * @example
 * ```ts
 * await fishComplete(scriptPath, "sockit ec"); // ["echo"]
 * ```
 */
export async function fishComplete(scriptPath: string, line: string): Promise<string[]> {
  const { stdout, stderr, code } = await runTool("fish", [
    "--no-config",
    "-c",
    `source '${scriptPath}'; complete -C '${line.replace(/'/g, "\\'")}'`,
  ]);
  if (code !== 0) throw new Error(`fish exited ${code}: ${stderr}`);
  return lines(decoder.decode(stdout)).map((l) => l.split("\t")[0]);
}

function lines(text: string): string[] {
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
}
