/** deploy/strimzi/: the manifests parse, the relay's KafkaUser has no more rights than it needs, topics say their retention. */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

type Doc = { kind: string; metadata: { labels?: Record<string, string> }; spec: Record<string, unknown> };
const docs = (file: string): Doc[] =>
  parseAllDocuments(readFileSync(`deploy/strimzi/${file}`, 'utf8')).map((d) => d.toJS() as Doc);

describe('deploy/strimzi', () => {
  it('KafkaUser: SCRAM-SHA-512, simple ACLs, only Write and Describe on literal topics', () => {
    const [user] = docs('kafka-user.yaml');
    expect(user?.kind).toBe('KafkaUser');
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

  it("the Deployment fragment reads the JAAS text from the user's Secret", () => {
    const [env] = docs('relay-env.yaml') as unknown as {
      env: { name: string; valueFrom?: { secretKeyRef: { key: string } } }[];
    }[];
    const jaas = env?.env.find((e) => e.name === 'VIM_EVENT_RELAY_KAFKA_SASL_JAAS_CONFIG');
    expect(jaas?.valueFrom?.secretKeyRef.key).toBe('sasl.jaas.config');
  });
});
