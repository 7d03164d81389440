import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from './bus.js';
import {
  buckets,
  decode,
  DEFAULT_ENGINE_SETTINGS,
  encodeJson,
  EngineSettings,
  validate,
} from '@bitween/messages';

const ENGINE_KEY = 'engine';

/**
 * Daemon-wide settings in the JetStream KV bucket `bitween_settings`: the api writes them, the
 * services watch them. Values are validated on write and on read; an invalid stored value is
 * logged and the defaults apply.
 */
export class SettingsStore {
  private constructor(
    readonly kv: KV,
    private readonly log: Logger,
  ) {}

  static async open(nc: NatsConnection, log: Logger): Promise<SettingsStore> {
    const kv = await new Kvm(nc).create(buckets.settings, { history: 5 });
    return new SettingsStore(kv, log);
  }

  async engine(): Promise<EngineSettings> {
    const entry = await this.kv.get(ENGINE_KEY);
    if (!entry || entry.operation !== 'PUT') return DEFAULT_ENGINE_SETTINGS;
    return this.#parse(entry.value);
  }

  /** Merge `patch` into the stored engine settings; returns the new value. */
  async updateEngine(patch: Partial<EngineSettings>): Promise<EngineSettings> {
    const next = { ...(await this.engine()), ...patch };
    const checked = validate(EngineSettings, next, 'invalid_request');
    if (!checked.ok) throw checked.error;
    await this.kv.put(ENGINE_KEY, encodeJson(checked.value));
    return checked.value;
  }

  /** Call `onChange` with the current engine settings, then on every change, until stopped. */
  async watchEngine(onChange: (settings: EngineSettings) => void): Promise<() => void> {
    const watch = await this.kv.watch({ key: ENGINE_KEY });
    let delivered = false;
    void (async () => {
      for await (const entry of watch) {
        delivered = true;
        onChange(entry.operation === 'PUT' ? this.#parse(entry.value) : DEFAULT_ENGINE_SETTINGS);
      }
    })().catch((err: unknown) => this.log.warn({ err }, 'settings watch failed'));
    // An empty bucket delivers nothing: start from the defaults.
    if (!delivered && !(await this.kv.get(ENGINE_KEY))) onChange(DEFAULT_ENGINE_SETTINGS);
    return () => watch.stop();
  }

  #parse(value: Uint8Array): EngineSettings {
    const decoded = decode(EngineSettings, value);
    if (decoded.ok) return decoded.value;
    this.log.warn(
      { issues: decoded.error.issues },
      'stored engine settings fail their contract; using defaults',
    );
    return DEFAULT_ENGINE_SETTINGS;
  }
}
