import { ConfigError, type Source } from '../errors';

/** Container limits, as docker run takes them; '' means no limit. */
export interface Resources {
  memory: string;
  cpus: string;
}

/** A memory size as docker run --memory takes it: a number with an optional b, k, m or g unit (min 6m). */
export function memoryLimit(text: string, source: Source): string {
  if (!text) return '';
  const bytes = memoryBytes(text, source);
  if (bytes < 6 * 2 ** 20) throw new ConfigError(`"${text}" is below Docker's minimum of 6m`, source);
  return text.toLowerCase();
}

/** A memory size in bytes: a number with an optional b, k, m or g unit, e.g. 512m. */
export function memoryBytes(text: string, source: Source): number {
  const match = /^(\d+(?:\.\d+)?)([bkmg]?)$/i.exec(text);
  const units: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 };
  if (!match) throw new ConfigError(`"${text}" is not a memory size; expected e.g. 512m or 1g`, source);
  return Number(match[1]) * (units[(match[2] ?? '').toLowerCase()] ?? 1);
}

/** A CPU count as docker run --cpus takes it, e.g. 0.5 or 2. */
export function cpuLimit(text: string, source: Source): string {
  if (!text) return '';
  if (!/^\d+(?:\.\d{1,2})?$/.test(text) || Number(text) <= 0 || Number(text) > 1024) {
    throw new ConfigError(`"${text}" is not a CPU count; expected e.g. 0.5 or 2`, source);
  }
  return text;
}
