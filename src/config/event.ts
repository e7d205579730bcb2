import type { RunContext } from './context';

/** What Baton needs from the event that started the workflow. */
export interface EventInfo {
  name: string;
  /** The event's action, e.g. opened, synchronize, closed; '' when the event has none. */
  action: string;
  /** The commit being deployed: the PR head for pull requests, else the workflow's commit. */
  sha: string;
  pullRequest?: PullRequestInfo;
}

export interface PullRequestInfo {
  number: number;
  headSha: string;
  headRef: string;
  /** owner/name of the repository the PR comes from. */
  headRepo: string;
  fork: boolean;
}

type Payload = Record<string, unknown>;

export function isPullRequestEvent(name: string): boolean {
  return name === 'pull_request' || name === 'pull_request_target';
}

export function readEvent(name: string, payload: Payload, context: RunContext): EventInfo {
  const pr = payload.pull_request as Payload | undefined;
  const action = typeof payload.action === 'string' ? payload.action : '';
  if (isPullRequestEvent(name) && pr) {
    const head = (pr.head ?? {}) as Payload;
    const base = (pr.base ?? {}) as Payload;
    const headRepo = String(((head.repo ?? {}) as Payload).full_name ?? '');
    const baseRepo = String(((base.repo ?? {}) as Payload).full_name ?? '');
    const headSha = String(head.sha ?? context.sha);
    return {
      name,
      action,
      sha: headSha,
      pullRequest: {
        number: Number(pr.number),
        headSha,
        headRef: String(head.ref ?? ''),
        headRepo,
        // A deleted fork has no head repo: treat it as a fork too.
        fork: headRepo === '' ? Boolean(baseRepo) : Boolean(baseRepo) && headRepo !== baseRepo,
      },
    };
  }
  return { name, action, sha: context.sha };
}
