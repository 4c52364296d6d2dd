// Prints jest's totals as one plain closing line ("tests: N passed, N failed, N skipped") that CI reads.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    process.stdout.write(
      `\ntests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped\n`,
    );
    // What test/preflight.js found wrong with the machine, so that failures come with their cause.
    for (const p of (process.env.VER_TEST_PREFLIGHT ?? '').split('\n').filter(Boolean))
      process.stdout.write(`preflight: ${p}\n`);
  }
}
