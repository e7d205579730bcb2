import type { Config } from '../config';
import { hostLabel } from '../config/hosts';
import { errorMessage } from '../errors';
import { RemoteHost } from '../remote/ssh';

/** Runs the same work on every host at once; a failure names the host it happened on. */
export async function onEachHost<T>(
  hosts: RemoteHost[],
  work: (host: RemoteHost) => Promise<T>,
): Promise<T[]> {
  const results = await Promise.allSettled(hosts.map((host) => work(host).catch(tagWithHost(host.label))));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}

/** Opens one SSH connection per host; if any fails, closes the others. */
export async function connectAll(config: Config): Promise<RemoteHost[]> {
  const policy = { knownHosts: config.ssh.knownHosts, trustFirstUse: config.ssh.trustFirstUse };
  const results = await Promise.allSettled(
    config.hosts.map((spec) =>
      RemoteHost.connect(spec, config.ssh, policy).catch(tagWithHost(hostLabel(spec))),
    ),
  );
  const hosts = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) {
    for (const host of hosts) host.dispose();
    throw failure.reason;
  }
  return hosts;
}

function tagWithHost(label: string) {
  return (error: unknown): never => {
    const message = errorMessage(error);
    const tagged = new Error(message.includes(label) ? message : `${label}: ${message}`);
    throw Object.assign(tagged, { cause: error });
  };
}
