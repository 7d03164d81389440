import {
  headers as natsHeaders,
  NoRespondersError,
  RequestError,
  TimeoutError,
  type Msg,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import { Svcm, type Service, type ServiceMsg } from '@nats-io/services';
import type { z } from 'zod';
import {
  BusError,
  decode,
  decodeReply,
  encodeError,
  encodeJson,
  fail,
  validate,
  type AnyCommand,
  type AnyEvent,
  type ParamsOf,
  type PayloadOf,
  type RequestOf,
  type ResponseOf,
  type Result,
} from '@bitween/messages';

/** The subset of pino's logger the bus needs (pino's `Logger` satisfies it). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface CallOptions<P> {
  params?: P;
  /** Default 5 s. Commands that do real work (hashing a large folder) pass longer ones. */
  timeoutMs?: number;
}
/** Subject parameters are required exactly when the contract has them. */
type CallArgs<P> = [P] extends [void] ? [opts?: CallOptions<never>] : [opts: CallOptions<P> & { params: P }];

const DEFAULT_TIMEOUT_MS = 5_000;

function errorHeaderOf(msg: Msg): { status: number; description: string } | null {
  const description = msg.headers?.get('Nats-Service-Error');
  const code = msg.headers?.get('Nats-Service-Error-Code');
  if (!description && !code) return null;
  return { status: Number(code) || 500, description: description ?? '' };
}

function isNoResponders(err: unknown): boolean {
  return err instanceof NoRespondersError || (err instanceof RequestError && err.isNoResponders());
}

/**
 * The typed helper every service uses on NATS: values are validated against their contract
 * before they are sent and `safeParse`d on receipt. Nothing received is ever thrown into the
 * service: a bad message is logged with its subject and zod issues and answered (commands) or
 * dropped (events).
 */
export class Bus {
  constructor(
    readonly nc: NatsConnection,
    readonly log: Logger,
  ) {}

  async request<C extends AnyCommand>(
    cmd: C,
    payload: RequestOf<C>,
    ...[opts]: CallArgs<ParamsOf<C>>
  ): Promise<Result<ResponseOf<C>>> {
    const req = validate(cmd.request, payload, 'invalid_request');
    if (!req.ok) {
      this.log.warn(
        { command: cmd.name, issues: req.error.issues },
        'request not sent: it fails its contract',
      );
      return req;
    }
    let subject: string;
    try {
      subject = cmd.subject(opts?.params);
    } catch (err) {
      return fail('invalid_request', (err as Error).message);
    }
    try {
      const msg = await this.nc.request(subject, encodeJson(req.value), {
        timeout: opts?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      });
      const reply = decodeReply(cmd.response, msg.data, errorHeaderOf(msg)) as Result<ResponseOf<C>>;
      if (!reply.ok && reply.error.code === 'invalid_reply') {
        this.log.error({ subject, issues: reply.error.issues }, 'reply fails its contract');
      }
      return reply;
    } catch (err) {
      if (isNoResponders(err)) return fail('unavailable', `nobody answers ${cmd.name} (${subject})`);
      if (err instanceof TimeoutError || (err instanceof RequestError && err.cause instanceof TimeoutError)) {
        return fail('timeout', `${cmd.name} (${subject}) did not answer in time`);
      }
      return fail('unavailable', `${cmd.name} (${subject}): ${(err as Error).message}`);
    }
  }

  /**
   * A command whose successful reply is raw bytes with metadata in headers (`engine.read`): the
   * request is checked as usual; the reply is handed over as is, or is the typed error.
   */
  async requestRaw<C extends AnyCommand>(
    cmd: C,
    payload: RequestOf<C>,
    ...[opts]: CallArgs<ParamsOf<C>>
  ): Promise<Result<RawReply>> {
    const req = validate(cmd.request, payload, 'invalid_request');
    if (!req.ok) return req;
    let subject: string;
    try {
      subject = cmd.subject(opts?.params);
    } catch (err) {
      return fail('invalid_request', (err as Error).message);
    }
    try {
      const msg = await this.nc.request(subject, encodeJson(req.value), {
        timeout: opts?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      });
      const errorHeader = errorHeaderOf(msg);
      if (errorHeader) return decodeReply(cmd.response, msg.data, errorHeader) as Result<never>;
      return { ok: true, value: { data: msg.data, header: (name) => msg.headers?.get(name) ?? '' } };
    } catch (err) {
      if (isNoResponders(err)) return fail('unavailable', `nobody answers ${cmd.name} (${subject})`);
      if (err instanceof TimeoutError || (err instanceof RequestError && err.cause instanceof TimeoutError)) {
        return fail('timeout', `${cmd.name} (${subject}) did not answer in time`);
      }
      return fail('unavailable', `${cmd.name} (${subject}): ${(err as Error).message}`);
    }
  }

  /** Publish an event; a payload that fails its own contract is a bug: logged, not sent. */
  publish<E extends AnyEvent>(evt: E, payload: z.input<E['payload']>, params?: ParamsOf<E>): boolean {
    const checked = validate(evt.payload, payload, 'internal');
    if (!checked.ok) {
      this.log.error(
        { event: evt.name, issues: checked.error.issues },
        'event not published: it fails its contract',
      );
      return false;
    }
    const data = encodeJson(checked.value);
    const max = this.nc.info?.max_payload;
    if (max !== undefined && data.length > max) {
      this.log.error(
        { event: evt.name, bytes: data.length, max },
        'event not published: larger than the NATS max payload',
      );
      return false;
    }
    this.nc.publish(evt.subject(params), data);
    return true;
  }

  /**
   * Subscribe to an event (all subjects of its pattern unless one is given). Invalid payloads
   * are logged and dropped; a handler that throws is logged, the subscription goes on.
   */
  subscribe<E extends AnyEvent>(
    evt: E,
    handler: (payload: PayloadOf<E>, subject: string) => void | Promise<void>,
    opts: { subject?: string; queue?: string } = {},
  ): Subscription {
    return this.nc.subscribe(opts.subject ?? evt.pattern, {
      ...(opts.queue ? { queue: opts.queue } : {}),
      callback: (err, msg) => {
        if (err) {
          this.log.warn({ event: evt.name, err: err.message }, 'subscription error');
          return;
        }
        const decoded = decode(evt.payload, msg.data);
        if (!decoded.ok) {
          this.log.warn(
            {
              subject: msg.subject,
              event: evt.name,
              issues: decoded.error.issues,
              error: decoded.error.message,
            },
            'dropped an event that fails its contract',
          );
          return;
        }
        try {
          const done = handler(decoded.value as PayloadOf<E>, msg.subject);
          if (done instanceof Promise) {
            done.catch((e: unknown) => this.log.error({ event: evt.name, err: e }, 'event handler failed'));
          }
        } catch (e) {
          this.log.error({ event: evt.name, err: e }, 'event handler failed');
        }
      },
    });
  }
}

/** A raw-bytes reply (see `Bus.requestRaw`, `ServiceHost.serveRaw`). */
export interface RawReply {
  data: Uint8Array;
  /** A header of the reply ('' when absent). */
  header(name: string): string;
}

/**
 * What a raw handler answers: the payload bytes and string headers (the contract documents both).
 * `sent`, when given, is called once: with true when the reply has left this process (a flush of
 * the connection after it came back, so the socket no longer holds `data` and the handler may
 * reuse it), false when that is not known (the flush failed: the connection may still send it).
 */
export type RawHandler<C extends AnyCommand> = (
  request: z.output<C['request']>,
  ctx: { subject: string },
) => Promise<{ data: Uint8Array; headers: Record<string, string>; sent?: (left: boolean) => void }>;

export type CommandHandler<C extends AnyCommand> = (
  request: z.output<C['request']>,
  ctx: { subject: string },
) => z.input<C['response']> | Promise<z.input<C['response']>>;

/**
 * What `$SRV.STATS` carries in each endpoint's `data` for a `ServiceHost` endpoint: every
 * request, every error answer (any bus error code) and the whole time until the answer went out.
 */
export interface EndpointCounters {
  requests: number;
  errors: number;
  processing_ns: number;
  last_error: string | null;
}

/**
 * The process a service instance runs in, for per-service process metrics: NATS micro has no
 * per-service data in `$SRV.STATS`, so each `ServiceHost` endpoint's `data` carries it as
 * `process` (the api's `/metrics` exports it labelled by service and instance).
 */
export interface ProcessSample {
  /** CPU time since the process started (user, system), seconds. */
  cpu_user_seconds: number;
  cpu_system_seconds: number;
  /** Resident set size and V8 heap in use, bytes. */
  resident_bytes: number;
  heap_used_bytes: number;
  /** When the process started, seconds since the epoch. */
  start_time_seconds: number;
}

const startedAt = Date.now() / 1000 - process.uptime();

/** This process now (one sample serves every endpoint of a `$SRV.STATS` answer: cached 1 s). */
let lastSample: { at: number; sample: ProcessSample } | undefined;
export function processSample(now = Date.now()): ProcessSample {
  if (lastSample && now - lastSample.at < 1000) return lastSample.sample;
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  const sample: ProcessSample = {
    cpu_user_seconds: cpu.user / 1e6,
    cpu_system_seconds: cpu.system / 1e6,
    resident_bytes: mem.rss,
    heap_used_bytes: mem.heapUsed,
    start_time_seconds: startedAt,
  };
  lastSample = { at: now, sample };
  return sample;
}

/** Endpoint names in NATS micro allow letters, digits, `-` and `_`. */
const endpointName = (name: string) => name.replace(/[^A-Za-z0-9_-]/g, '_');

/**
 * A NATS micro service (discovery, `$SRV.PING|INFO|STATS`) whose endpoints are contract
 * handlers. Typed errors are thrown as `BusError`; anything else thrown is a bug, logged with
 * its stack and answered as `internal`.
 */
export class ServiceHost {
  readonly #inflight = new Set<Promise<void>>();

  private constructor(
    private readonly bus: Bus,
    readonly service: Service,
    private readonly stats: Map<string, EndpointCounters>,
  ) {}

  static async start(
    bus: Bus,
    config: { name: string; version: string; description?: string; metadata?: Record<string, string> },
  ): Promise<ServiceHost> {
    const stats = new Map<string, EndpointCounters>();
    const service = await new Svcm(bus.nc).add({
      name: config.name,
      version: config.version,
      ...(config.description ? { description: config.description } : {}),
      ...(config.metadata ? { metadata: config.metadata } : {}),
      // NATS micro times only the synchronous part of a handler and counts only thrown errors;
      // our handlers are async and answer errors: the real figures travel in each endpoint's `data`.
      // Each endpoint's data also carries the process (per-service process metrics).
      statsHandler: (endpoint) => {
        const counters = stats.get(endpoint.subject);
        return Promise.resolve(counters ? { ...counters, process: processSample() } : null);
      },
    });
    // Discoverable once started: the server has the service's subscriptions ($SRV.PING, …) before
    // start() resolves (without the flush, a ping right after could meet no responders).
    await bus.nc.flush();
    return new ServiceHost(bus, service, stats);
  }

  get id(): string {
    return this.service.info().id;
  }

  /** The largest message the NATS server takes (paged replies size their pages by it). */
  get maxPayload(): number | undefined {
    return this.bus.nc.info?.max_payload;
  }

  serve<C extends AnyCommand>(cmd: C, handler: CommandHandler<C>, ...[opts]: CallArgs<ParamsOf<C>>): void {
    this.#endpoint(cmd, opts?.params, async (req, msg, reply) => {
      const log = this.bus.log;
      const result = await handler(req, { subject: msg.subject });
      const checked = validate(cmd.response, result, 'internal');
      if (!checked.ok) {
        log.error(
          { command: cmd.name, issues: checked.error.issues },
          'handler result fails its contract (bug)',
        );
        return reply(new BusError('internal', `${cmd.name}: the service produced an invalid reply`));
      }
      const data = encodeJson(checked.value);
      const max = this.bus.nc.info?.max_payload;
      if (max !== undefined && data.length > max) {
        log.error({ command: cmd.name, bytes: data.length, max }, 'reply larger than the NATS max payload');
        return reply(
          new BusError(
            'failed',
            `${cmd.name}: the answer (${data.length} bytes) exceeds the NATS max payload (${max})`,
          ),
        );
      }
      msg.respond(data);
    });
  }

  /**
   * Serve a command whose reply is raw bytes with metadata in headers (no JSON, no response
   * schema: the contract documents the framing). Requests are checked as for `serve`; errors are
   * the usual typed error replies.
   */
  serveRaw<C extends AnyCommand>(cmd: C, handler: RawHandler<C>, ...[opts]: CallArgs<ParamsOf<C>>): void {
    this.#endpoint(cmd, opts?.params, async (req, msg) => {
      const out = await handler(req, { subject: msg.subject });
      const sent = out.sent;
      try {
        const h = natsHeaders();
        for (const [k, v] of Object.entries(out.headers)) h.set(k, v);
        msg.respond(out.data, { headers: h });
      } catch (err) {
        // Not sent (a header or payload the client refuses): the bytes are the handler's again.
        sent?.(false);
        throw err;
      }
      if (sent) {
        this.bus.nc.flush().then(
          () => sent(true),
          () => sent(false),
        );
      }
    });
  }

  /**
   * One endpoint of a command, shared by `serve` and `serveRaw`: its counters, the request checked
   * against the contract, `respond` run for a valid request, a BusError thrown or given to `reply`
   * answered as a typed error, anything else as `internal`; in-flight requests tracked for `stop`.
   */
  #endpoint<C extends AnyCommand>(
    cmd: C,
    params: ParamsOf<C> | undefined,
    respond: (
      req: z.output<C['request']>,
      msg: ServiceMsg,
      reply: (error: BusError) => void,
    ) => Promise<void>,
  ): void {
    const subject = cmd.subject(params);
    const counters: EndpointCounters = { requests: 0, errors: 0, processing_ns: 0, last_error: null };
    this.stats.set(subject, counters);
    const log = this.bus.log;
    this.service.addEndpoint(endpointName(cmd.name), {
      subject,
      ...(cmd.queue ? { queue: cmd.queue } : {}),
      handler: (err, msg) => {
        if (err) {
          log.warn({ command: cmd.name, err: err.message }, 'endpoint error');
          return;
        }
        const started = process.hrtime.bigint();
        counters.requests++;
        const reply = (error: BusError) => {
          counters.errors++;
          counters.last_error = `${error.code}: ${error.message}`;
          const e = encodeError(error);
          msg.respondError(e.status, e.description, e.body);
        };
        const run = async () => {
          const req = decode(cmd.request, msg.data);
          if (!req.ok) {
            log.warn(
              { subject: msg.subject, command: cmd.name, issues: req.error.issues, error: req.error.message },
              'rejected a request that fails its contract',
            );
            return reply(req.error);
          }
          try {
            await respond(req.value as z.output<C['request']>, msg, reply);
          } catch (e) {
            if (e instanceof BusError) return reply(e);
            log.error({ command: cmd.name, err: e }, 'handler failed');
            reply(new BusError('internal', `${cmd.name} failed: ${(e as Error)?.message ?? String(e)}`));
          }
        };
        const p = run();
        this.#inflight.add(p);
        void p.finally(() => {
          counters.processing_ns += Number(process.hrtime.bigint() - started);
          this.#inflight.delete(p);
        });
      },
    });
  }

  /** Stop taking requests, then wait for the ones under way. */
  async stop(): Promise<void> {
    if (!this.service.isStopped) await this.service.stop();
    await Promise.allSettled([...this.#inflight]);
  }
}
