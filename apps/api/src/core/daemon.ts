import type { Readable } from 'node:stream';
import { readChunkBytes, xmpp, type Result } from '@bitween/messages';
import { lendPayloadBuffers, PayloadBuffers, type Bus, type RegisteredEngine } from '@bitween/bus';
import type { Logger } from '@bitween/runtime';
import { Svcm } from '@nats-io/services';
import type { z } from 'zod';
import { collectCluster, type ClusterSample } from './cluster-sample.js';
import { EngineStream, type EngineStreamOptions } from './engine-stream.js';
import type { NatsConnectionState, NatsProbe, NatsState } from './nats-state.js';
import type { Registry } from './registry.js';
import { liveEngineIds, untilAllAnswered } from './service-answers.js';
import type { Surface } from './surface.js';

export interface ServiceSummary {
  name: string;
  id: string;
  version: string;
  metadata: Record<string, string>;
}

export type GatewayStatus = Result<z.output<typeof xmpp.status.response>>;

/** A file range's bytes (see engine-stream.ts): `first()` says whether the engine serves it. */
export type FileStream = Readable & Pick<EngineStream, 'first'>;

export interface DaemonDeps {
  bus: Bus;
  registry: Registry;
  log: Logger;
  nats: NatsConnectionState;
  timeoutMs: number;
}

/**
 * The daemon as a whole, for health, status, metrics and streaming: the NATS connection's state,
 * the gateway's status, the engines of the registry, the NATS micro services, a file's bytes.
 */
export class DaemonService {
  #buffers: PayloadBuffers | undefined;
  constructor(private readonly deps: DaemonDeps) {}

  /** From the connection's status events alone (cheap). */
  natsState(): NatsState {
    return this.deps.nats.state;
  }

  /** `connected` only when the server answered a PING within `timeoutMs`. */
  probeNats(timeoutMs: number): Promise<NatsProbe> {
    return this.deps.nats.probe(timeoutMs);
  }

  /** The gateway's status (a failure is the answer, not thrown). */
  gateway(timeoutMs = this.deps.timeoutMs): Promise<GatewayStatus> {
    return this.deps.bus.request(xmpp.status, {}, { timeoutMs });
  }

  /** The live engines of the registry (throws what the registry throws). */
  engines(): Promise<RegisteredEngine[]> {
    return this.deps.registry.live();
  }

  /**
   * Every NATS micro service that answers `$SRV.INFO` (engines, gateway): until the gateway and
   * every live engine answered, at most `maxWaitMs` (see service-answers.ts). Never throws.
   */
  async services({ maxWaitMs = 2000 } = {}): Promise<ServiceSummary[]> {
    const out: ServiceSummary[] = [];
    try {
      const engineIds = await liveEngineIds(this.deps.registry);
      const infos = await new Svcm(this.deps.bus.nc).client({ strategy: 'timer', maxWait: maxWaitMs }).info();
      for (const i of await untilAllAnswered(infos, engineIds)) {
        out.push({ name: i.name, id: i.id, version: i.version, metadata: i.metadata ?? {} });
      }
    } catch (err) {
      // No responders just means no service runs; anything else is worth a line.
      this.deps.log.debug({ err }, 'service discovery ended early');
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  /** One scrape of the cluster for /metrics (see cluster-sample.ts); never throws. */
  sample(discovery?: { maxWaitMs: number }): Promise<ClusterSample> {
    const { bus, registry, log, timeoutMs } = this.deps;
    return collectCluster({ bus, registry, log, timeoutMs, ...(discovery ? { discovery } : {}) });
  }

  /** Bytes per `engine.read` (what fits the server's max payload). */
  readChunkBytes(): number {
    return readChunkBytes(this.deps.bus.nc.info?.max_payload);
  }

  /** A file range of a torrent, read from its engine (see engine-stream.ts). */
  openStream(options: Omit<EngineStreamOptions, 'bus' | 'log' | 'chunkBytes' | 'buffers'>): FileStream {
    return new EngineStream({
      ...options,
      bus: this.deps.bus,
      log: this.deps.log,
      chunkBytes: this.readChunkBytes(),
      buffers: this.#payloadBuffers(),
    });
  }

  /**
   * The receive buffers of `engine.read` replies, lent to the NATS client on the first stream
   * (one max_payload each; 16 MiB of free ones kept, at least 2).
   */
  #payloadBuffers(): PayloadBuffers | undefined {
    const size = this.deps.bus.nc.info?.max_payload;
    if (size === undefined) return undefined;
    if (this.#buffers?.size !== size) {
      this.#buffers = new PayloadBuffers(size, Math.max(2, Math.floor((16 * 1024 * 1024) / size)));
      lendPayloadBuffers(this.#buffers);
    }
    return this.#buffers;
  }
}

/** What the adapters see of the daemon (see surface.ts). */
export type Daemon = Surface<DaemonService>;
