/**
 * What the console calls the ids it shows: a responder, team or route by its configured name,
 * or by the id itself when the configuration no longer has it (an old call, a removed team).
 */
import type { Config } from '../../config/model';
import { OPERATOR } from './access';

export function responderName(config: Config, id: string | null): string {
  if (id === null) return '';
  return id === OPERATOR ? 'Operator' : (config.responders.get(id)?.name ?? id);
}

export function teamName(config: Config, id: string | null): string {
  return id === null ? '' : (config.teams.get(id)?.name ?? id);
}

export function routeName(config: Config, id: string | null): string | undefined {
  return id === null ? undefined : config.routes.find((r) => r.id === id)?.name;
}
