/**
 * `helm template` and `helm lint` without a helm binary (Debian has no helm package and get.helm.sh
 * is not reachable): tools/helm/HelmCli.java runs Helm's own Go code as Maven Central's
 * com.marcnuri.helm-java embeds it. Maven resolves its classpath once (into ~/.m2; .ci/run warms
 * it); Java 17 runs the launcher from source.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { ROOT, tempDir } from './daemon.js';

const run = promisify(execFile);
let classpath: Promise<string> | undefined;

function resolveClasspath(): Promise<string> {
  const out = path.join(tempDir('ver-helm-'), 'classpath.txt');
  classpath ??= run(
    'mvn',
    ['-B', '-q', '-f', path.join(ROOT, 'tools/helm/pom.xml'), 'dependency:build-classpath', `-Dmdep.outputFile=${out}`],
    {
      maxBuffer: 1 << 20,
    },
  )
    .then(() => readFileSync(out, 'utf8').trim())
    .catch((e: unknown) => {
      if ((e as { code?: string }).code === 'ENOENT')
        throw new Error('mvn is not installed: it resolves Helm (com.marcnuri.helm-java) from Maven Central', {
          cause: e,
        });
      throw e;
    });
  return classpath;
}

/** HelmCli's stdout; rejects with its stderr (Helm's message) on a non-zero exit. */
export async function helm(args: string[]): Promise<string> {
  const cp = await resolveClasspath();
  try {
    const { stdout } = await run('java', ['-cp', cp, path.join(ROOT, 'tools/helm/HelmCli.java'), ...args], {
      cwd: ROOT,
      maxBuffer: 16 << 20,
    });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; code?: number | string };
    if (err.code === 'ENOENT')
      throw new Error('java is not installed: Java 17 runs tools/helm/HelmCli.java', { cause: e });
    throw new Error(`helm ${args.join(' ')} failed (exit ${err.code}): ${err.stderr ?? ''}${err.stdout ?? ''}`, {
      cause: e,
    });
  }
}
