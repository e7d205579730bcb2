// A release's forwarder: a small nginx of its own (one master, one worker) that listens on a unix socket
// in the app's run dir and passes every request to the container's loopback port. The app's site sends
// each request to a bucket link that points at a forwarder's socket, so moving traffic is moving links.
// Why nginx: it is already on every host, starts in tens of milliseconds, uses a few MB, passes WebSockets
// and long requests through unbuffered, and its graceful quit (SIGQUIT) is the drain at retire.

export interface Forwarder {
  release: string;
  port: number;
}

/** The forwarder's directory name under the app's run dir: f-RELEASE-PORT (a restart may change the port). */
export function forwarderName({ release, port }: Forwarder): string {
  return `f-${release}-${port}`;
}

/** The release and port a forwarder's directory name stands for. */
export function parseForwarderName(name: string): Forwarder | undefined {
  const match = /^f-(.+)-(\d+)$/.exec(name);
  return match ? { release: match[1] as string, port: Number(match[2]) } : undefined;
}

/** The forwarder's nginx.conf; `dir` is its directory (pid, socket, logs live there). */
export function renderForwarder(forwarder: Forwarder, dir: string): string {
  return `# Managed by Baton: forwarder of release ${forwarder.release} to 127.0.0.1:${forwarder.port}.
worker_processes 1;
pid ${dir}/pid;
error_log ${dir}/error.log warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
    client_body_temp_path ${dir}/body;
    proxy_temp_path ${dir}/proxy;
    map $http_upgrade $baton_connection {
        default upgrade;
        ''      close;
    }
    server {
        listen unix:${dir}/sock;
        location / {
            proxy_pass http://127.0.0.1:${forwarder.port};
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $baton_connection;
            proxy_buffering off;
            proxy_request_buffering off;
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;
            client_max_body_size 0;
            add_header X-Baton-Release ${forwarder.release} always;
        }
    }
}
`;
}
