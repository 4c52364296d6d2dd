// Prints jest's totals as one plain closing line ("tests: N passed, N failed, N skipped") that CI reads.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    process.stdout.write(`\ntests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped\n`);
  }
}
