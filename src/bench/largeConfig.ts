/** A generated configuration of realistic shape and chosen size, for benchmarks. */
const ZONES = ['America/New_York', 'Europe/London', 'Europe/Berlin', 'Asia/Tokyo', 'Australia/Sydney'];

export interface LargeConfigSize {
  responders: number;
  schedules: number;
  routes: number;
}

export function largeConfigYaml(size: LargeConfigSize): string {
  const lines: string[] = [
    'asterisk:',
    '  url: http://127.0.0.1:8088',
    '  username: lcr',
    '  password_env: LCR_ARI_PASSWORD',
    'responders:',
  ];
  for (let r = 0; r < size.responders; r++) {
    lines.push(
      `  - id: r${r}`,
      `    name: Responder ${r}`,
      `    timezone: ${ZONES[r % ZONES.length]}`,
      `    phones: ['PJSIP/r${r}', '+1555${String(1000000 + r).padStart(7, '0')}']`,
      `    email: r${r}@example.com`,
    );
  }
  lines.push('schedules:');
  for (let s = 0; s < size.schedules; s++) {
    const members = Array.from({ length: 5 }, (_, m) => `r${(s * 5 + m) % size.responders}`).join(', ');
    const day = Array.from({ length: 3 }, (_, m) => `r${(s * 7 + m + 1) % size.responders}`).join(', ');
    lines.push(
      `  - id: s${s}`,
      `    timezone: ${ZONES[s % ZONES.length]}`,
      '    layers:',
      `      - { start: 2025-01-06T09:00, turn: 1w, members: [${members}] }`,
      `      - start: 2025-01-01T08:00`,
      `        turn: 1d`,
      `        members: [${day}]`,
      '        restrictions: [{ days: [mon, tue, wed, thu, fri], from: "08:00", to: "18:00" }]',
      '    overrides:',
      `      - { responder: r${s}, start: 2026-12-24T18:00, end: 2026-12-26T09:00 }`,
    );
  }
  const teams = size.routes;
  lines.push('escalation_policies:');
  for (let t = 0; t < teams; t++) {
    lines.push(
      `  - id: p${t}`,
      '    repeat: 2',
      '    levels:',
      `      - { targets: [{ schedule: s${t % size.schedules} }], ring_timeout: 25s, escalate_after: 10m }`,
      `      - { targets: [{ schedule: s${(t + 1) % size.schedules} }, { responder: r${t} }], escalate_after: 15m }`,
      `      - { targets: [{ responder: r${(t + 2) % size.responders} }], escalate_after: 30m }`,
    );
  }
  lines.push('teams:');
  for (let t = 0; t < teams; t++) lines.push(`  - { id: t${t}, name: Team ${t}, escalation_policy: p${t} }`);
  lines.push('routes:');
  for (let r = 0; r < size.routes; r++) {
    lines.push(
      `  - id: route${r}`,
      `    name: Hotline ${r}`,
      `    numbers: ['+1 555 ${String(2000 + r * 2)}', '+1 555 ${String(2001 + r * 2)}']`,
      `    routing: ${r % 2 === 0 ? 'direct' : 'voicemail'}`,
      '    options:',
    );
    for (let o = 0; o < 3; o++)
      lines.push(`      - { key: ${o + 1}, team: t${(r + o) % teams}, label: Team ${(r + o) % teams} }`);
  }
  return lines.join('\n') + '\n';
}
