import type { Hook } from '@oclif/core';

/** Edit distance between two command ids (insertions, deletions, substitutions). */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/**
 * A mistyped command, run without a terminal (a script, CI): names the closest command on stderr. On a terminal
 * @oclif/plugin-not-found asks "Did you mean ...?" and runs it when told yes; it also ends both cases with its
 * error (exit 127).
 */
const hook: Hook<'command_not_found'> = async function (opts) {
  if (process.stdin.isTTY) return;
  const ids = opts.config.commands.filter((c) => !c.hidden).map((c) => c.id);
  const best = ids.map((id) => ({ id, d: distance(opts.id, id) })).sort((x, y) => x.d - y.d)[0];
  if (best === undefined || best.d > Math.max(2, Math.floor(opts.id.length / 3))) return;
  const shown = (id: string) => id.split(':').join(opts.config.topicSeparator);
  process.stderr.write(`imgscan: ${shown(opts.id)} is not a command; did you mean \`${opts.config.bin} ${shown(best.id)}\`?\n`);
};

export default hook;
