import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** A real Docker engine of the test's own: vfs storage, own data root and socket, no networking set-up. */
export interface Dockerd {
  host: string;
  socket: string;
  stop(): Promise<void>;
}

export async function startDockerd(): Promise<Dockerd> {
  const dir = mkdtempSync('/tmp/imgscan-dockerd-');
  const socket = join(dir, 'docker.sock');
  const log = join(dir, 'dockerd.log');
  const child: ChildProcess = spawn(
    'sh',
    ['-c', `exec dockerd --data-root ${dir}/data --exec-root ${dir}/exec --pidfile ${dir}/dockerd.pid -H unix://${socket} --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none > ${log} 2>&1`],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 60_000;
  const host = `unix://${socket}`;
  while (Date.now() < deadline) {
    if (existsSync(socket) && spawnSync('docker', ['-H', host, 'version'], { stdio: 'ignore' }).status === 0) {
      return {
        host,
        socket,
        stop: async () => {
          child.kill('SIGTERM');
          await new Promise((r) => child.once('exit', r).once('error', r));
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`dockerd did not start: ${existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : 'no log'}`);
}
