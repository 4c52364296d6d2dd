#!/usr/bin/env bash
# `npm run test:kafka-versions [version ...]`: the real-broker Kafka tests (test/integration/kafka-real)
# against each Apache Kafka release named (default: 3.9.2, what ONAP's Strimzi 0.46 runs, and
# 4.4.0, the newest served). `npm test` runs them against one release only (the helper's default,
# test/helpers/kafka-real-jars.ts), to keep CI short. Each release's jars are fetched once with Maven.
set -euo pipefail
cd "$(dirname "$0")/.."
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(3.9.2 4.4.0)
status=0
for v in "${versions[@]}"; do
  echo "== Apache Kafka $v"
  KAFKA_VERSION="$v" node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand test/integration/kafka-real \
    || { echo "== Apache Kafka $v: FAILED"; status=1; }
done
exit $status
