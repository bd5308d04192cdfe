/**
 * The configuration of the stop tests (test/integration/drain.test.ts, test/cli/stop.test.ts, and
 * the two daemons of test/integration/twoDaemons.test.ts):
 * direct routes whose responders ring for long (a call stays in progress as long as a test needs),
 * a voicemail route for callers turned away, and the given `settings.shutdown`.
 */
export function drainConfig(shutdown: string): string {
  return `
asterisk: { url: http://127.0.0.1:1, username: lcr, password: lcr-secret, request_timeout: 2s }
settings:
  storage_dir: ./data
  http_listen: 127.0.0.1:0
  shutdown: ${shutdown}
prompts: { engine: none }
responders:
  - { id: alice, name: Alice, phones: ['PJSIP/alice'] }
  - { id: bob, name: Bob, phones: ['PJSIP/bob'] }
escalation_policies:
  - id: alice-only
    levels: [{ targets: [{ responder: alice }], ring_timeout: 10m }]
  - id: bob-only
    levels: [{ targets: [{ responder: bob }], ring_timeout: 10m }]
teams:
  - { id: ops, name: Operations, escalation_policy: alice-only }
  - { id: net, name: Network, escalation_policy: bob-only }
routes:
  - id: ops
    name: Ops hotline
    numbers: ['5550200']
    routing: direct
    options: [{ key: 1, team: ops, label: Operations }]
    direct: { on_no_answer: hangup }
  - id: net
    name: Net hotline
    numbers: ['5550300']
    routing: direct
    options: [{ key: 1, team: net, label: Network }]
    direct: { on_no_answer: hangup }
  - id: main
    name: Main line
    numbers: ['5550100']
    routing: voicemail
    options: [{ key: 1, team: ops, label: Operations }]
`;
}
