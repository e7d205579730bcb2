import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { ConfigError, type Source } from '../errors';

export interface FileEntry {
  value: unknown;
  source: Source;
}

/** Parses baton.yml into top-level entries, each remembering its line so errors can point at it. */
export function parseConfigFile(text: string, file: string): Map<string, FileEntry> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const firstError = doc.errors[0];
  if (firstError) {
    const line = lineCounter.linePos(firstError.pos[0]).line;
    throw new ConfigError(`${file}:${line}: invalid YAML: ${firstError.message.split('\n')[0]}`);
  }
  const entries = new Map<string, FileEntry>();
  if (doc.contents === null) return entries;
  if (!isMap(doc.contents))
    throw new ConfigError(`${file}:1: expected a mapping of settings at the top level`);
  for (const pair of doc.contents.items) {
    const keyNode = pair.key;
    const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const offset = isScalar(keyNode) && keyNode.range ? keyNode.range[0] : 0;
    const line = lineCounter.linePos(offset).line;
    const value = pair.value === null ? null : (pair.value as { toJSON(): unknown }).toJSON();
    entries.set(key, { value, source: { kind: 'file', file, line, key } });
  }
  return entries;
}
