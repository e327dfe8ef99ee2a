# The pinned Deno, installed from npm into .tools/ (which git ignores) when it is not
# there yet. Sourced by .ci/run and ./sockit, so the version lives in this one place.
# Needs SOCKIT_ROOT (the checkout); sets PINNED_DENO.

DENO_VERSION=2.9.6
PINNED_DENO="$SOCKIT_ROOT/.tools/node_modules/.bin/deno"

# Makes sure $PINNED_DENO is Deno $DENO_VERSION; progress goes to stderr. The stamp file
# saves ./sockit the 15 ms of asking `deno --version` on every start.
pinned_deno() {
  local stamp="$SOCKIT_ROOT/.tools/.deno-$DENO_VERSION"
  if [ -x "$PINNED_DENO" ] && { [ -e "$stamp" ] ||
    "$PINNED_DENO" --version 2>/dev/null | grep -q "^deno $DENO_VERSION "; }; then
    return 0
  fi
  if ! command -v npm >/dev/null; then
    printf 'sockit: installing Deno %s needs npm (Node.js): install Node.js, or Deno itself\n' \
      "$DENO_VERSION" >&2
    return 1
  fi
  # One install at a time: a second ./sockit started during the first one's install
  # (a server in the background, then a client) waits for it instead of installing over
  # it. mkdir is atomic everywhere (flock is not on macOS).
  local lock="$SOCKIT_ROOT/.tools/.installing" waited=0
  mkdir -p "$SOCKIT_ROOT/.tools"
  until mkdir "$lock" 2>/dev/null; do
    [ "$waited" -eq 0 ] && printf 'sockit: waiting for the install of Deno %s\n' "$DENO_VERSION" >&2
    waited=$((waited + 1))
    [ "$waited" -gt 600 ] && { printf 'sockit: gave up waiting; remove %s\n' "$lock" >&2; return 1; }
    sleep 1
  done
  if [ -e "$stamp" ] && [ -x "$PINNED_DENO" ]; then # the other one installed it
    rmdir "$lock"
    return 0
  fi
  printf 'sockit: installing Deno %s from npm into .tools/ (once)\n' "$DENO_VERSION" >&2
  local ok=0
  npm install --prefix "$SOCKIT_ROOT/.tools" --no-save --no-package-lock --no-audit --no-fund \
    "deno@$DENO_VERSION" >&2 && "$PINNED_DENO" --version >&2 && touch "$stamp" || ok=1
  rmdir "$lock"
  return "$ok"
}
