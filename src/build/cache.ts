import { ConfigError } from '../errors';

/** What the legacy builder (no buildx) can do of cache-from / cache-to: image references only. */
export interface LegacyCache {
  /** Images to use as cache sources (docker build --cache-from). */
  from: string[];
  /** Images to tag the build as and push, so later builds can use them as cache sources. */
  to: string[];
}

const NEEDS_BUILDX = 'needs docker buildx (e.g. docker/setup-buildx-action), which this runner does not have';

/**
 * Maps cache-from / cache-to entries, as buildx spells them, onto the legacy builder: an image ref
 * (`IMAGE` or `type=registry,ref=IMAGE`) works, `type=inline` needs nothing more; anything else is refused.
 */
export function legacyCache(cacheFrom: string[], cacheTo: string[]): LegacyCache {
  const refs = (entries: string[], input: string) =>
    entries.flatMap((entry) => {
      const ref = imageRef(entry);
      if (ref === undefined || (ref === '' && input === 'cache-from')) {
        throw new ConfigError(
          `"${entry}" ${NEEDS_BUILDX}; without it only type=registry,ref=IMAGE (or type=inline for cache-to) works`,
          { kind: 'input', name: input },
        );
      }
      return ref ? [ref] : [];
    });
  return { from: refs(cacheFrom, 'cache-from'), to: refs(cacheTo, 'cache-to') };
}

/** The image of a registry cache entry; '' for type=inline; undefined when the legacy builder can't do it. */
function imageRef(entry: string): string | undefined {
  if (!entry.includes('=')) return entry;
  const attrs = new Map(
    entry.split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    }),
  );
  const type = attrs.get('type');
  if (type === 'inline' && attrs.size === 1) return '';
  const ref = attrs.get('ref');
  const known = [...attrs.keys()].every((key) => key === 'type' || key === 'ref');
  return type === 'registry' && ref && known ? ref : undefined;
}
