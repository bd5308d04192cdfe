/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 20000,
  // The suite mostly waits: on real timers, on loopback sockets, on child processes. Four
  // workers on a 2-core machine ran it in 2.6 min instead of 9 with one (jest's default there),
  // with every test passing; the CPU-bound checks are benchmarks, not tests.
  maxWorkers: 4,
  reporters: ['default', '<rootDir>/test/summaryReporter.js'],
};
