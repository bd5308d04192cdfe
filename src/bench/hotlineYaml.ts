/**
 * The route the direct and fault benchmarks call: one team, Operations, on escalation policy
 * `p`, behind a one-option hotline on +1 555 0100. Their callers dial that number, so the
 * number and the option live here once.
 */
export function oneTeamHotline(routing: 'direct' | 'voicemail', routeSettings: string): string {
  return `teams:
  - { id: ops, name: Operations, escalation_policy: p }
routes:
  - id: hotline
    name: Bench hotline
    numbers: ['+1 555 0100']
    routing: ${routing}
    options: [{ key: 1, team: ops, label: Operations }]
    ${routeSettings}
`;
}
