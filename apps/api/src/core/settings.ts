import type { EngineSettings } from '@bitween/messages';
import { reading } from './errors.js';
import type { Surface } from './surface.js';

/** The settings bucket as the api uses it (`SettingsStore` from @bitween/bus). */
export interface SettingsStoreLike {
  engine(): Promise<EngineSettings>;
  updateEngine(patch: Partial<EngineSettings>): Promise<EngineSettings>;
}

/** The engine settings every engine applies (a KV bucket). Throws `CoreError`s. */
export class SettingsService {
  constructor(private readonly store: SettingsStoreLike) {}

  engine(): Promise<EngineSettings> {
    return reading('settings bucket', () => this.store.engine());
  }

  update(patch: Partial<EngineSettings>): Promise<EngineSettings> {
    return reading('settings bucket', () => this.store.updateEngine(patch));
  }
}

/** What the adapters see of the settings (see surface.ts). */
export type Settings = Surface<SettingsService>;
