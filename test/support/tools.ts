/**
 * System tools the tests need (the CNCF registry, skopeo, umoci, dockerd, Go, ...). Where one is missing, a test
 * outside CI skips with a loud warning; under CI=true (as `.ci/run` runs) it fails instead, so that a CI run
 * missing an install step is red, not green with skipped tests.
 */
import { haveCommand } from './exec.js';

/** True when the tests run in CI (`CI=true`, as CI sets it). */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true' || env.CI === '1';
}

/**
 * The tools of `tools` that are not on PATH. None missing: []. Some missing: under CI throws (failing the test
 * file that asked), elsewhere warns on stderr naming `what` is skipped, and returns them.
 */
export async function missingTools(tools: readonly string[], what: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const missing: string[] = [];
  for (const t of tools) if (!(await haveCommand(t))) missing.push(t);
  if (missing.length === 0) return missing;
  const message = `${what}: not installed: ${missing.join(', ')}`;
  if (inCi(env)) throw new Error(`${message}. Under CI every tool the tests need must be installed (.ci/run installs them).`);
  console.warn(`\n!!! SKIPPING ${message} !!!\n`);
  return missing;
}
