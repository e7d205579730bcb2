import { ConfigError, type Source } from '../errors';

export interface ImageName {
  /** Registry host as `docker login` wants it, e.g. ghcr.io or 127.0.0.1:5000; docker.io for Docker Hub. */
  registry: string;
  /** Everything before the tag, e.g. ghcr.io/acme/web. */
  repository: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/;

/** Parses a Docker image reference the way Docker does (domain, path components, tag, digest). */
export function parseImage(text: string, source: Source): ImageName {
  const fail = (why: string) => new ConfigError(`"${text}" is not an image reference: ${why}`, source);
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw fail('the digest must be sha256:<64 hex>');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw fail(`bad tag "${tag}"`);
  }
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasDomain && !DOMAIN.test(first)) throw fail(`"${first}" is not a registry host[:port]`);
  const path = hasDomain ? parts.slice(1) : parts;
  if (path.length === 0 || !path.every((part) => COMPONENT.test(part))) {
    throw fail('use lowercase letters, digits and . _ - between slashes');
  }
  return { registry: hasDomain ? first : 'docker.io', repository: rest, tag, digest };
}

export function imageReference(image: ImageName): string {
  if (image.digest) return `${image.repository}@${image.digest}`;
  return `${image.repository}:${image.tag ?? 'latest'}`;
}
