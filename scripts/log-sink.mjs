// Where `npm start` writes every process's log lines: JSON lines on stdout in pino's format (a
// line a service wrote as JSON passes unchanged; nats-server's lines and anything else are
// wrapped), or the same through pino-pretty for a person at a terminal.
import pretty from 'pino-pretty';

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
/** nats-server's `[INF]`, `[WRN]`, … tags. */
const NATS_TAGS = { TRC: 10, DBG: 20, INF: 30, WRN: 40, ERR: 50, FTL: 60 };

/** One line a process wrote, as a pino JSON line (`service` names the process). */
export function toJsonLine(service, line, fromStderr) {
  const trimmed = line.trim();
  if (trimmed.startsWith('{') && trimmed.endsWith('}')) {
    try {
      const parsed = JSON.parse(trimmed);
      if (parsed && typeof parsed === 'object' && typeof parsed.level === 'number') return trimmed;
    } catch {
      // not JSON after all: wrapped below
    }
  }
  const tag = /\[(TRC|DBG|INF|WRN|ERR|FTL)\]\s*(.*)$/.exec(trimmed);
  const level = tag ? NATS_TAGS[tag[1]] : fromStderr ? LEVELS.error : LEVELS.info;
  return JSON.stringify({ level, time: new Date().toISOString(), service, msg: tag ? tag[2] : trimmed });
}

export function logSink(format) {
  const out =
    format === 'pretty'
      ? pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', messageKey: 'msg' })
      : process.stdout;
  const write = (jsonLine) => out.write(`${jsonLine}\n`);
  return {
    /** A line from a supervised process. */
    line: (service, line, fromStderr) => write(toJsonLine(service, line, fromStderr)),
    /** The supervisor's own message. */
    note: (level, msg, extra = {}) =>
      write(
        JSON.stringify({
          level: LEVELS[level],
          time: new Date().toISOString(),
          service: 'start',
          msg,
          ...extra,
        }),
      ),
  };
}
