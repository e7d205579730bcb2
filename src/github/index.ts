import * as github from '@actions/github';
import * as core from '@actions/core';
import type { Config } from '../config';
import type { RunContext } from '../config/context';
import { createClient } from './client';
import { readEvent } from './event';
import { Reporter } from './reporter';

/** The GitHub side of a deploy, for the event that started the workflow; silent without a token. */
export function createReporter(config: Config, context: RunContext): Reporter {
  const token = core.getInput('github-token');
  const event = readEvent(
    github.context.eventName,
    github.context.payload as Record<string, unknown>,
    context,
  );
  return new Reporter(
    token && context.repository ? createClient(token) : undefined,
    {
      app: config.app,
      environment: config.environment,
      url: `http://${config.domain}`,
      transient: false,
      production: config.environment === 'production',
    },
    event,
    context,
  );
}
