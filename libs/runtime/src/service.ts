import type { Logger } from 'pino';
import { ConfigError } from './config.js';

export type Stop = () => Promise<void>;

/**
 * Run a service: `start` wires everything and returns how to stop it. SIGTERM/SIGINT stop it
 * gracefully (a second signal, or a stop that takes longer than `graceMs`, exits at once).
 * A configuration error prints the variables at fault and exits 2; a failed start exits 1.
 */
export async function runService(opts: {
  name: string;
  log: () => Logger;
  start: (log: Logger) => Promise<Stop>;
  graceMs?: number;
}): Promise<void> {
  let log: Logger;
  try {
    log = opts.log();
  } catch (err) {
    report(opts.name, err);
    return;
  }
  process.on('unhandledRejection', (reason) => {
    log.error({ err: reason }, 'unhandled promise rejection (bug)');
  });
  let stop: Stop;
  try {
    stop = await opts.start(log);
  } catch (err) {
    if (err instanceof ConfigError) report(opts.name, err);
    else {
      log.fatal({ err }, 'start-up failed');
      process.exitCode = 1;
    }
    // Give pino's stdout a tick to flush, then leave even if handles are still open.
    setTimeout(() => process.exit(), 100).unref();
    return;
  }
  log.info('ready');
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown took too long: exiting');
      process.exit(1);
    }, opts.graceMs ?? 10_000);
    timer.unref();
    stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

function report(name: string, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${name}: ${message}\n`);
  process.exitCode = err instanceof ConfigError ? 2 : 1;
}
