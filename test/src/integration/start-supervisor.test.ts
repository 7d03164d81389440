import { describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/service.js';
import { waitFor } from '../harness/wait.js';

// `npm start`'s process supervision (scripts/supervisor.mjs) and log lines (scripts/log-sink.mjs),
// with real child processes.
interface Note {
  level: number;
  msg: string;
  [key: string]: unknown;
}
interface SinkLike {
  line(service: string, line: string, fromStderr: boolean): void;
  note(level: string, msg: string, extra?: object): void;
}
const { Supervisor } = (await import(`${repoRoot}/scripts/supervisor.mjs`)) as {
  Supervisor: new (o: { cwd: string; sink: SinkLike; firstDelayMs?: number }) => {
    add(spec: object): Promise<void>;
    stop(code?: number): Promise<void>;
    exitCode: number | null;
    kill(): void;
  };
};
const { toJsonLine } = (await import(`${repoRoot}/scripts/log-sink.mjs`)) as {
  toJsonLine: (service: string, line: string, fromStderr: boolean) => string;
};

function recordingSink() {
  const lines: { service: string; line: string }[] = [];
  const notes: Note[] = [];
  const sink: SinkLike = {
    line: (service, line) => lines.push({ service, line }),
    note: (level, msg, extra = {}) =>
      notes.push({ level: level === 'error' || level === 'fatal' ? 50 : 30, msg, ...extra }),
  };
  return { sink, lines, notes };
}

/** A service that says "ready", stays up and says "bye <label>" on SIGTERM. */
function steady(label: string) {
  return {
    label,
    command: process.execPath,
    args: [
      '-e',
      `console.log("ready"); process.on("SIGTERM", () => { console.log("bye ${label}"); process.exit(0) }); setInterval(() => {}, 1000)`,
    ],
    env: process.env,
    readyWhen: (l: string) => l === 'ready',
  };
}

describe('npm start supervision', () => {
  it('starts a process that exits on its own again, with a growing back-off, and stops in order', async () => {
    const { sink, lines, notes } = recordingSink();
    const supervisor = new Supervisor({ cwd: repoRoot, sink, firstDelayMs: 50 });
    try {
      // A "service" that prints its pid and dies at once: it is restarted each time.
      await supervisor.add({
        label: 'crashy',
        command: process.execPath,
        args: ['-e', 'console.log("up " + process.pid); process.exit(3)'],
        env: process.env,
      });
      // A service that stays up, and a `last` one (as NATS) that must outlive it on stop.
      await supervisor.add(steady('steady'));
      await supervisor.add({ ...steady('infra'), last: true });
      await waitFor(() => notes.filter((n) => n.process === 'crashy').length >= 3, {
        timeoutMs: 30_000,
        what: 'three restarts of the crashing process',
      });
      const restarts = notes.filter((n) => n.process === 'crashy');
      expect(restarts.map((n) => n.delayMs).slice(0, 3)).toEqual([50, 100, 200]);
      expect(restarts[0]!.msg).toContain('crashy exited (3)');
      const pids = new Set(lines.filter((l) => l.service === 'crashy').map((l) => l.line));
      expect(pids.size).toBeGreaterThanOrEqual(3);
    } finally {
      await supervisor.stop();
    }
    const byes = lines.filter((l) => l.line.startsWith('bye')).map((l) => l.line);
    expect(byes).toEqual(['bye steady', 'bye infra']);
  });

  it('stops everything instead of restarting a process that refuses its configuration (exit code 2)', async () => {
    const { sink, lines, notes } = recordingSink();
    const supervisor = new Supervisor({ cwd: repoRoot, sink, firstDelayMs: 50 });
    await supervisor.add(steady('steady'));
    await supervisor.add({
      label: 'misconfigured',
      command: process.execPath,
      args: ['-e', 'console.error("BITWEEN_X: must be set"); process.exit(2)'],
      env: process.env,
    });
    await waitFor(() => supervisor.exitCode === 2, { what: 'the supervisor to stop with exit code 2' });
    expect(lines.some((l) => l.line === 'bye steady')).toBe(true);
    expect(notes.some((n) => n.msg.includes('misconfigured refused its configuration'))).toBe(true);
    expect(notes.filter((n) => n.msg.includes('starting it again'))).toEqual([]);
  });

  it('passes services’ JSON log lines unchanged and wraps anything else as a pino line', () => {
    const pinoLine = '{"level":30,"time":"2026-12-07T00:00:00.000Z","service":"api","msg":"listening"}';
    expect(toJsonLine('api', pinoLine, false)).toBe(pinoLine);
    const nats: unknown = JSON.parse(
      toJsonLine('nats-server', '[1234] 2026/12/07 00:00:00.000000 [WRN] slow consumer', false),
    );
    expect(nats).toMatchObject({ level: 40, service: 'nats-server', msg: 'slow consumer' });
    const stray: unknown = JSON.parse(toJsonLine('torrent-engine', 'TypeError: boom', true));
    expect(stray).toMatchObject({ level: 50, service: 'torrent-engine', msg: 'TypeError: boom' });
    const notPino: unknown = JSON.parse(toJsonLine('api', '{"hello":1}', false));
    expect(notPino).toMatchObject({ level: 30, msg: '{"hello":1}' });
  });
});
