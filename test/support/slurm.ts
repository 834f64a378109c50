/**
 * A one-node Slurm cluster of the test's own, on loopback: munged with its key and socket in a temp dir, then
 * slurmctld and slurmd (Debian's slurm-wlm) in the foreground with a generated slurm.conf (this machine's CPUs and
 * memory as `slurmd -C` reports them, free ports on 127.0.0.1, no cgroups, state, spool and logs in the temp dir).
 * Client commands (sbatch, squeue, ...) find it through `env.SLURM_CONF`. Completed jobs, array tasks included,
 * are logged by jobcomp/filetxt to `jobcompLog` (there is no accounting database for sacct).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runText } from './exec.js';
import { freePort } from './registry.js';

export interface SlurmCluster {
  dir: string;
  /** The environment for client commands: SLURM_CONF. */
  env: Record<string, string>;
  /** One line per finished job (JobId, ArrayJobId, ArrayTaskId, JobState, ExitCode, ...). */
  jobcompLog: string;
  /** The pids of the daemons and every process below them seen while the cluster ran (see `stop`). */
  pids(): Promise<number[]>;
  /** Stops slurmd, slurmctld and munged (SIGTERM, then SIGKILL after 10 s) and removes the temp dir. */
  stop(): Promise<void>;
}

/** The tools a cluster needs. */
export const slurmTools = ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sbatch', 'sinfo'];

interface Daemon {
  name: string;
  child: ChildProcess;
  log: () => string;
}

function startDaemon(name: string, cmd: string, args: string[], env: Record<string, string>): Daemon {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (d: Buffer) => {
    log = (log + d.toString('utf8')).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('error', (e) => keep(Buffer.from(String(e))));
  // A test worker that dies or times out must not leave a daemon running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  return { name, child, log: () => log };
}

async function stopDaemon(d: Daemon): Promise<void> {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return;
  const exited = new Promise((r) => d.child.once('exit', r));
  d.child.kill('SIGTERM');
  const timer = setTimeout(() => d.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** This machine as slurmd sees it: "CPUs=2 ... RealMemory=24105". */
async function nodeResources(): Promise<{ cpus: number; memory: number }> {
  const out = await runText('slurmd', ['-C']);
  const cpus = Number(/\bCPUs=(\d+)/.exec(out)?.[1]);
  const memory = Number(/\bRealMemory=(\d+)/.exec(out)?.[1]);
  if (!(cpus > 0 && memory > 0)) throw new Error(`slurmd -C gave no CPUs/RealMemory: ${out}`);
  return { cpus, memory };
}

function slurmConf(dir: string, ports: { ctld: number; slurmd: number }, node: { cpus: number; memory: number }): string {
  return [
    'ClusterName=imgscantest',
    'SlurmctldHost=localhost(127.0.0.1)',
    `SlurmctldPort=${ports.ctld}`,
    `SlurmdPort=${ports.slurmd}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `AuthInfo=socket=${dir}/munge/munge.socket`,
    `StateSaveLocation=${dir}/state`,
    `SlurmdSpoolDir=${dir}/spool`,
    `SlurmctldPidFile=${dir}/slurmctld.pid`,
    `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/log/slurmctld.log`,
    `SlurmdLogFile=${dir}/log/slurmd.log`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'JobCompType=jobcomp/filetxt',
    `JobCompLoc=${dir}/log/jobcomp.txt`,
    'SchedulerType=sched/builtin',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'MpiDefault=none',
    'SwitchType=switch/none',
    'MailProg=/bin/true',
    'ReturnToService=2',
    `NodeName=localhost NodeAddr=127.0.0.1 CPUs=${node.cpus} RealMemory=${node.memory} State=UNKNOWN`,
    'PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP',
    '',
  ].join('\n');
}

/** Waits until `sinfo` shows the node idle (the cluster takes jobs). */
async function waitIdle(env: Record<string, string>, daemons: Daemon[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    const dead = daemons.find((d) => d.child.exitCode !== null || d.child.signalCode !== null);
    if (dead) throw new Error(`${dead.name} exited with ${dead.child.exitCode ?? dead.child.signalCode}: ${dead.log()}`);
    last = await runText('sinfo', ['--noheader', '--format=%T'], { env }).catch((e: unknown) => String(e));
    if (last.trim() === 'idle') return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the Slurm node did not become idle (sinfo: ${last.trim()}): ${daemons.map((d) => `${d.name}: ${d.log()}`).join('\n')}`);
}

/** Pids of `roots` and of every process below them, from /proc. */
async function descendants(roots: number[]): Promise<number[]> {
  const parent = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after its last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid) parent.set(Number(entry), ppid);
  }
  const found = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (found.has(ppid) && !found.has(pid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return [...found].sort((a, b) => a - b);
}

export async function startSlurm(): Promise<SlurmCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'imgscan-slurm-'));
  // munged wants every directory above its socket searchable by all.
  await chmod(dir, 0o755);
  for (const d of ['munge', 'state', 'spool', 'log']) await mkdir(join(dir, d), { mode: 0o755 });
  const key = join(dir, 'munge', 'munge.key');
  await runText('mungekey', ['--create', `--keyfile=${key}`]);
  await chmod(key, 0o600);
  const env = { SLURM_CONF: join(dir, 'slurm.conf') };
  const ports = { ctld: await freePort(), slurmd: await freePort() };
  await writeFile(env.SLURM_CONF, slurmConf(dir, ports, await nodeResources()));
  const m = join(dir, 'munge');
  const daemons: Daemon[] = [
    startDaemon('munged', 'munged', ['--foreground', '--force', `--socket=${m}/munge.socket`, `--key-file=${key}`, `--pid-file=${m}/munged.pid`, `--seed-file=${m}/munged.seed`, `--log-file=${m}/munged.log`], env),
  ];
  const seen = new Set<number>();
  const cluster: SlurmCluster = {
    dir,
    env,
    jobcompLog: join(dir, 'log', 'jobcomp.txt'),
    async pids() {
      for (const p of await descendants(daemons.map((d) => d.child.pid!).filter(Boolean))) seen.add(p);
      return [...seen].sort((a, b) => a - b);
    },
    async stop() {
      await cluster.pids();
      // slurmd first (it ends its job steps), then the controller, then munged that both of them use.
      for (const d of [...daemons].reverse()) await stopDaemon(d);
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitForFile(join(m, 'munge.socket'), daemons[0]!);
    daemons.push(startDaemon('slurmctld', 'slurmctld', ['-D', '-i'], env));
    daemons.push(startDaemon('slurmd', 'slurmd', ['-D', '-N', 'localhost'], env));
    await waitIdle(env, daemons);
    await cluster.pids();
    return cluster;
  } catch (e) {
    await cluster.stop();
    throw e;
  }
}

async function waitForFile(path: string, daemon: Daemon): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await stat(path).then(() => true, () => false)) return;
    if (daemon.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${daemon.name} did not create ${path}: ${daemon.log()}`);
}

/** Pids of `pids` still alive (zombies count as gone). */
export async function alive(pids: number[]): Promise<number[]> {
  const out: number[] = [];
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (stat && state !== 'Z') out.push(pid);
  }
  return out;
}
