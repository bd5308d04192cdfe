'use strict';
/**
 * Ends the run with one plain line, "N passed, N failed", that CI systems can read. It is written
 * when the process exits, so that it comes after jest's own summary.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line =
      `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed` +
      (skipped > 0 ? `, ${skipped} skipped` : '');
    process.once('exit', () => process.stderr.write(`${line}\n`));
  }
}
module.exports = SummaryReporter;
