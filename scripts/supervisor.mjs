// Keeps `npm start`'s processes running: a process that exits on its own (crash, OOM kill) is
// started again after a back-off that doubles from 1 s up to 60 s and resets once it has run
// for a minute (a process that refuses its configuration, exit code 2, stops everything instead:
// no restart can fix it); `stop()` ends them in order (services, then the processes marked `last`).
import { spawn } from 'node:child_process';
import readline from 'node:readline';

const MAX_DELAY_MS = 60_000;
/** The services' exit code for a configuration they refuse (libs/runtime service.ts). */
const CONFIG_ERROR = 2;
const STABLE_MS = 60_000;

export class Supervisor {
  /** @type {Map<string, { spec: any, child: import('node:child_process').ChildProcess | null, failures: number, timer: NodeJS.Timeout | null }>} */
  #procs = new Map();
  stopping = false;

  /** The exit code once everything stopped (null before). */
  exitCode = null;

  constructor({ cwd, sink, firstDelayMs = 1_000 }) {
    this.cwd = cwd;
    this.sink = sink;
    this.firstDelayMs = firstDelayMs;
  }

  /**
   * Starts a process and keeps it running. Resolves when it is ready (`readyWhen` matched a line
   * of its output; otherwise at once); rejects if the first start fails before that.
   */
  add(spec) {
    const proc = { spec, child: null, failures: 0, timer: null };
    this.#procs.set(spec.label, proc);
    return this.#start(proc);
  }

  #start(proc) {
    const { label, command, args, env, readyWhen } = proc.spec;
    const startedAt = Date.now();
    // Own process group: Ctrl-C reaches only this script, which stops the processes in order.
    const child = spawn(command, args, {
      cwd: this.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    proc.child = child;
    let resolveReady;
    let rejectReady;
    const ready = new Promise((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    if (!readyWhen) resolveReady();
    for (const [stream, fromStderr] of [
      [child.stdout, false],
      [child.stderr, true],
    ]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        this.sink.line(label, line, fromStderr);
        if (readyWhen?.(line)) resolveReady();
      });
    }
    child.on('error', (err) => {
      this.sink.note('error', `cannot start ${label}: ${err.message}`);
      rejectReady(new Error(`cannot start ${label} (${command}): ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      rejectReady(new Error(`${label} exited (${signal ?? code}) before it was ready`));
      if (this.stopping) {
        this.sink.note('info', `${label} stopped (${signal ?? code})`);
        return;
      }
      if (code === CONFIG_ERROR) {
        // Starting it again cannot help: its log names the variable to fix.
        this.sink.note('fatal', `${label} refused its configuration (exit code 2): stopping everything`, {
          process: label,
        });
        void this.stop(CONFIG_ERROR);
        return;
      }
      if (Date.now() - startedAt >= STABLE_MS) proc.failures = 0;
      const delay = Math.min(MAX_DELAY_MS, this.firstDelayMs * 2 ** proc.failures);
      proc.failures++;
      this.sink.note('error', `${label} exited (${signal ?? code}); starting it again in ${delay} ms`, {
        process: label,
        restarts: proc.failures,
        delayMs: delay,
      });
      proc.timer = setTimeout(() => {
        proc.timer = null;
        if (!this.stopping) this.#start(proc).catch(() => undefined);
      }, delay);
    });
    return ready;
  }

  /** Stops everything: services first, then the `last` ones (NATS). */
  async stop(code = 0) {
    if (this.stopping) return;
    this.stopping = true;
    const procs = [...this.#procs.values()];
    for (const p of procs) if (p.timer) clearTimeout(p.timer);
    const end = async (group) => {
      const running = group.filter(
        (p) => p.child && p.child.exitCode === null && p.child.signalCode === null,
      );
      for (const p of running) p.child.kill('SIGTERM');
      await Promise.all(running.map((p) => new Promise((r) => p.child.once('exit', r))));
    };
    await end(procs.filter((p) => !p.spec.last));
    await end(procs.filter((p) => p.spec.last));
    this.exitCode = code;
  }

  /** Last resort when this script exits: kill whatever still runs. */
  kill() {
    for (const p of this.#procs.values()) {
      if (p.child && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }
  }
}
