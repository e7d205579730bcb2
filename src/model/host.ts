/** A target host as the user names it: user@host[:port]. */
export interface HostSpec {
  user: string;
  host: string;
  port: number;
}

export function hostLabel(host: HostSpec): string {
  const name = host.host.includes(':') ? `[${host.host}]` : host.host;
  return `${host.user}@${name}${host.port === 22 ? '' : `:${host.port}`}`;
}
