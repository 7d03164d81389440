import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeError } from './wait.js';

interface Step {
  label: string;
  fn: () => unknown;
}

/**
 * Clean-up steps of a test file, run last-added first. Typical use:
 * `const cleanup = new Cleanup(); afterAll(() => cleanup.run());`
 */
export class Cleanup {
  readonly #steps: Step[] = [];

  add(label: string, fn: () => unknown): void {
    this.#steps.push({ label, fn });
  }

  /** Runs and forgets every step, newest first; a failing step is logged to stderr and skipped. Never throws. */
  async run(): Promise<void> {
    for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
      try {
        await step.fn();
      } catch (err) {
        process.stderr.write(`[harness] clean-up step "${step.label}" failed: ${describeError(err)}\n`);
      }
    }
  }
}

// Safety net: whatever happens to the test run (a crash, a forgotten cleanup, Ctrl-C), children the
// harness started are SIGKILLed and its temp dirs removed when this process exits or is signalled.
const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let installed = false;

/** Called by the harness for every child process it spawns. */
export function trackChild(child: ChildProcess): void {
  installSafetyNet();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** A fresh directory under the OS temp dir, removed at exit at the latest. */
export async function makeTempDir(prefix: string): Promise<string> {
  installSafetyNet();
  const dir = await mkdtemp(join(tmpdir(), `bitween-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  tempDirs.delete(dir);
}

function killEverything(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Best effort: the process is going away.
    }
  }
  tempDirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killEverything();
  process.off(signal, onSignal);
  // Our listener replaced the default action (terminate); restore it unless someone else handles the signal.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installSafetyNet(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killEverything);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
