import type { Config } from '../config';
import { type RunContext, runUrl } from '../config/context';

/** Where an app lives on its hosts, and who asks: what every command that touches hosts needs. Pure. */
export interface AppPlace {
  app: string;
  /** STATE_DIR/APP: its records, env files and lock. */
  appDir: string;
  /** For a preview: the app it previews (only its preview containers are the app's). */
  previewOf?: string;
  lockTimeoutSeconds: number;
  /** This workflow run, named in locks and records. */
  runUrl: string;
}

export function placeOf(config: Config, context: RunContext): AppPlace {
  return {
    app: config.app,
    appDir: `${config.stateDir}/${config.app}`,
    ...(config.preview ? { previewOf: config.preview.base } : {}),
    lockTimeoutSeconds: config.lockTimeoutSeconds,
    runUrl: runUrl(context),
  };
}
