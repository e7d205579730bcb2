import type { PreviewTarget } from '../config/preview';
import { siteFile } from '../proxy/nginx';
import * as docker from '../commands/docker';
import type { RemoteHost } from '../remote/ssh';

/**
 * Fails when another site in the nginx conf dir already serves the preview's host name: a branch could
 * otherwise name a preview after production or another app ({branch}.example.com with branch www).
 */
export async function checkHostName(
  host: RemoteHost,
  confDir: string,
  preview: PreviewTarget,
): Promise<void> {
  const own = siteFile(confDir, preview.app).split('/').pop() as string;
  const result = await host.run(
    [
      'find',
      confDir,
      '-maxdepth',
      '1',
      '-name',
      '*.conf',
      '!',
      '-name',
      own,
      '-exec',
      'grep',
      '-Hs',
      'server_name',
      '{}',
      '+',
    ],
    { allowFailure: true },
  );
  const taken = serverNames(result.stdout).find(({ names }) => names.includes(preview.domain));
  if (!taken) return;
  throw new Error(
    `the preview host name ${preview.domain} is already served by ${taken.file}: Baton does not take it ` +
      'over. Rename the branch or change preview-domain',
  );
}

/** The server names of grep -H server_name output, per file ("file:  server_name a b;"). */
export function serverNames(grepOutput: string): { file: string; names: string[] }[] {
  return grepOutput.split('\n').flatMap((line) => {
    const match = /^(.*?):\s*server_name\s+([^;#]*)/.exec(line);
    if (!match) return [];
    return [
      { file: match[1] as string, names: (match[2] as string).toLowerCase().split(/\s+/).filter(Boolean) },
    ];
  });
}

/** The names of apps on the host with containers that are not previews of `base`. */
export async function notPreviewsOf(host: RemoteHost, base: string): Promise<Set<string>> {
  const lines = (await host.run(docker.batonContainers())).stdout.split('\n');
  const apps = lines.map((line) => line.trim().split(' ')).filter(([app, of]) => app && of !== base);
  return new Set(apps.map(([app]) => app as string));
}

/** Fails when the app a preview would use or remove is, on the host, an app of its own. */
export async function checkIsPreview(host: RemoteHost, preview: PreviewTarget): Promise<void> {
  if (!(await notPreviewsOf(host, preview.base)).has(preview.app)) return;
  throw new Error(
    `${preview.app} is an app of its own here, not a preview of ${preview.base}: Baton leaves it alone. ` +
      'Rename that app (names ending in -pr-<number> are kept for previews)',
  );
}
