/**
 * deploy/strimzi/: the relay's KafkaUser (named apart from the relay's own Secret, no more rights
 * than it needs) and KafkaTopics (their retention said), valid against Strimzi's own CRD schemas:
 * kafka.strimzi.io/v1 for Strimzi 0.49 and later, and the v1beta2 variant for Strimzi 0.46.
 */
import { readFileSync } from 'node:fs';
import { parse, parseAllDocuments } from 'yaml';
import { strimziProblems } from '../../helpers/strimzi-crd.js';

type Doc = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
};
const docs = (file: string): Doc[] =>
  parseAllDocuments(readFileSync(`deploy/strimzi/v1/${file}`, 'utf8')).map((d) => d.toJS() as Doc);
const all = [...docs('kafka-user.yaml'), ...docs('kafka-topic.yaml')];
/** As deploy/k8s/components/strimzi-v1beta2 renders them (its patch is checked below). */
const asV1beta2 = (d: Doc): Doc => ({ ...d, apiVersion: 'kafka.strimzi.io/v1beta2' });

describe('deploy/strimzi', () => {
  it('KafkaUser vim-event-relay-ku: apart from the relay\'s own Secret "vim-event-relay"; SCRAM-SHA-512, only Write and Describe on literal topics', () => {
    const [user] = docs('kafka-user.yaml');
    expect(user?.kind).toBe('KafkaUser');
    // The User Operator writes a Secret named after the user: never the relay's own.
    expect(user?.metadata.name).toBe('vim-event-relay-ku');
    const relaySecret = /secretName: (\S+)/.exec(readFileSync('deploy/k8s/base/deployment.yaml', 'utf8'))![1];
    expect(user?.metadata.name).not.toBe(relaySecret);
    expect(user?.spec.authentication).toEqual({ type: 'scram-sha-512' });
    const authz = user?.spec.authorization as {
      type: string;
      acls: { resource: { type: string; patternType: string }; operations: string[] }[];
    };
    expect(authz.type).toBe('simple');
    expect(authz.acls.length).toBeGreaterThan(0);
    for (const acl of authz.acls) {
      expect(acl.resource).toMatchObject({ type: 'topic', patternType: 'literal' });
      expect([...acl.operations].sort()).toEqual(['Describe', 'Write']);
    }
  });

  it('KafkaTopics: an explicit retention.ms, and the topics the user may write', () => {
    const topics = docs('kafka-topic.yaml');
    const [user] = docs('kafka-user.yaml');
    const allowed = (user?.spec.authorization as { acls: { resource: { name: string } }[] }).acls.map(
      (a) => a.resource.name,
    );
    expect(topics.length).toBeGreaterThan(0);
    for (const t of topics) {
      expect(t.kind).toBe('KafkaTopic');
      expect(t.metadata.labels?.['strimzi.io/cluster']).toBe(user?.metadata.labels?.['strimzi.io/cluster']);
      expect(Number((t.spec.config as Record<string, unknown>)['retention.ms'])).toBeGreaterThan(0);
      expect(allowed).toContain(t.spec.topicName);
    }
  });

  it('kafka.strimzi.io/v1: valid against Strimzi 0.49.1 and 1.2.0 CRD schemas, unknown fields refused', () => {
    expect(all.map((d) => d.apiVersion)).toEqual(all.map(() => 'kafka.strimzi.io/v1'));
    expect(all.flatMap(strimziProblems)).toEqual([]);
  });

  it('the v1beta2 variant: valid against Strimzi 0.46.1 CRD schemas', () => {
    const component = parse(readFileSync('deploy/k8s/components/strimzi-v1beta2/kustomization.yaml', 'utf8')) as {
      patches: { target: Record<string, string>; patch: string }[];
    };
    expect(component.patches).toEqual([
      {
        target: { group: 'kafka.strimzi.io', version: 'v1' },
        patch: expect.stringContaining('path: /apiVersion\n  value: kafka.strimzi.io/v1beta2') as string,
      },
    ]);
    expect(all.map(asV1beta2).flatMap(strimziProblems)).toEqual([]);
  });

  it('(the schema check refuses an unknown field, a wrong type and an unserved version)', () => {
    const [user] = docs('kafka-user.yaml');
    const typo = { ...user, spec: { ...user.spec, authentification: { type: 'scram-sha-512' } } };
    expect(strimziProblems(typo).join('\n')).toMatch(/must NOT have additional properties.*authentification/);
    const [topic] = docs('kafka-topic.yaml');
    expect(strimziProblems({ ...topic, spec: { ...topic.spec, partitions: 'six' } }).join('\n')).toMatch(
      /\/spec\/partitions must be integer/,
    );
    expect(strimziProblems({ ...user, apiVersion: 'kafka.strimzi.io/v1alpha1' })).toEqual([
      'KafkaUser/vim-event-relay-ku: no vendored Strimzi schema serves kafka.strimzi.io/v1alpha1',
    ]);
  });
});
