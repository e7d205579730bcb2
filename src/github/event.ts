import type { RunContext } from '../config/context';

/** What Baton needs from the event that started the workflow. */
export interface EventInfo {
  name: string;
  /** The commit being deployed: the PR head for pull requests, else the workflow's commit. */
  sha: string;
  pullRequest?: { number: number; headSha: string; headRef: string; fork: boolean };
}

type Payload = Record<string, unknown>;

export function readEvent(name: string, payload: Payload, context: RunContext): EventInfo {
  const pr = payload.pull_request as Payload | undefined;
  if ((name === 'pull_request' || name === 'pull_request_target') && pr) {
    const head = (pr.head ?? {}) as Payload;
    const base = (pr.base ?? {}) as Payload;
    const headRepo = (head.repo ?? {}) as Payload;
    const baseRepo = (base.repo ?? {}) as Payload;
    const headSha = String(head.sha ?? context.sha);
    return {
      name,
      sha: headSha,
      pullRequest: {
        number: Number(pr.number),
        headSha,
        headRef: String(head.ref ?? ''),
        fork: Boolean(headRepo.full_name && baseRepo.full_name && headRepo.full_name !== baseRepo.full_name),
      },
    };
  }
  return { name, sha: context.sha };
}
