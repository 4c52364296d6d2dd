/*
 * A Kafka cluster for the tests: librdkafka's mock cluster (real Kafka protocol on loopback TCP
 * ports, with fault injection), driven line by line on stdin. There is no Kafka broker to install
 * here and no Docker engine; this speaks the wire protocol a real broker speaks.
 *
 * Usage: mock-cluster [brokers]   (default 3)
 * stdout, first line: "ready <bootstrap servers>"; then one answer per command: "ok [...]" or "error <why>".
 * Commands:
 *   down <id|-1> / up <id|-1>               broker(s) refuse / accept connections (no leader change)
 *   err <apikey> <errcode> <count>          the next <count> requests of <apikey> fail with <errcode>
 *   broker-err <id> <apikey> <errcode> <rtt-ms> <count>   same, on one broker, each answered after rtt-ms
 *   rtt <id|-1> <ms>                        every answer of the broker(s) is delayed by <ms>
 *   topic-create <topic> <partitions> <replicas>
 *   topic-error <topic> <errcode>           the topic's Metadata answers <errcode> (0 clears it)
 *   leader <topic> <partition> <id|-1>      move the partition's leader (-1: no leader)
 *   dump <topic>                            every record, read back with librdkafka's consumer:
 *                                           "rec <partition> <offset> <key hex|-> <value hex> [<name>=<hex> ...]", then "ok <count>"
 *   quit
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rd_kafka_mock_cluster_t *mc;

static void hex(const void *p, size_t n) {
  const unsigned char *b = p;
  if (n == 0) putchar('.');
  for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
}

static int partitions_of(rd_kafka_t *rk, const char *topic) {
  const rd_kafka_metadata_t *md;
  rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
  int n = -1;
  if (rd_kafka_metadata(rk, 0, t, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (md->topic_cnt == 1 && md->topics[0].err == 0) n = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
  }
  rd_kafka_topic_destroy(t);
  return n;
}

static void print_record(const rd_kafka_message_t *m) {
  rd_kafka_headers_t *hdrs = NULL;
  printf("rec %d %lld ", (int)m->partition, (long long)m->offset);
  if (m->key) hex(m->key, m->key_len); else putchar('-');
  putchar(' ');
  hex(m->payload, m->len);
  if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char *name; const void *val; size_t sz;
    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &sz) == 0; i++) {
      printf(" %s=", name);
      hex(val, sz);
    }
  }
  putchar('\n');
}

static void dump(const char *topic) {
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(mc), errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "group.id", "mock-cluster-dump", errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof errstr);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (!rk) { printf("error %s\n", errstr); return; }
  int n = partitions_of(rk, topic), eof = 0, count = 0, idle = 0;
  if (n < 0) { printf("error no metadata for topic %s\n", topic); rd_kafka_destroy(rk); return; }
  rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
  for (int p = 0; p < n; p++) rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  while (eof < n && idle < 100) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    if (!m) { idle++; continue; }
    idle = 0;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) eof++;
    else if (m->err) fprintf(stderr, "dump %s: %s\n", topic, rd_kafka_message_errstr(m));
    else { print_record(m); count++; }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  if (eof < n) printf("error %d of %d partitions read to the end in 10 s\n", eof, n);
  else printf("ok %d\n", count);
}

static void command(char *line) {
  char a[256] = "", b[256] = "";
  int x = 0, y = 0, z = 0, w = 0, err = 0;
  if (sscanf(line, "down %d", &x) == 1) err = rd_kafka_mock_broker_set_down(mc, x);
  else if (sscanf(line, "up %d", &x) == 1) err = rd_kafka_mock_broker_set_up(mc, x);
  else if (sscanf(line, "rtt %d %d", &x, &y) == 2) err = rd_kafka_mock_broker_set_rtt(mc, x, y);
  else if (sscanf(line, "err %d %d %d", &x, &y, &z) == 3) {
    rd_kafka_resp_err_t errs[1024];
    if (z < 1 || z > 1024) { printf("error count must be 1..1024\n"); return; }
    for (int i = 0; i < z; i++) errs[i] = (rd_kafka_resp_err_t)y;
    rd_kafka_mock_push_request_errors_array(mc, (int16_t)x, (size_t)z, errs);
  } else if (sscanf(line, "broker-err %d %d %d %d %d", &x, &y, &z, &w, &err) == 5) {
    int count = err;
    err = 0;
    for (int i = 0; i < count && !err; i++) err = rd_kafka_mock_broker_push_request_error_rtts(mc, x, (int16_t)y, 1, z, w);
  } else if (sscanf(line, "topic-create %255s %d %d", a, &x, &y) == 3) err = rd_kafka_mock_topic_create(mc, a, x, y);
  else if (sscanf(line, "topic-error %255s %d", a, &x) == 2) rd_kafka_mock_topic_set_error(mc, a, (rd_kafka_resp_err_t)x);
  else if (sscanf(line, "leader %255s %d %d", a, &x, &y) == 3) err = rd_kafka_mock_partition_set_leader(mc, a, x, y);
  else if (sscanf(line, "dump %255s", b) == 1) { dump(b); return; }
  else { printf("error unknown command: %s\n", line); return; }
  if (err) printf("error %s\n", rd_kafka_err2str(err));
  else printf("ok\n");
}

int main(int argc, char **argv) {
  char errstr[512], line[1024];
  int brokers = argc > 1 ? atoi(argv[1]) : 3;
  setvbuf(stdout, NULL, _IOLBF, 0);
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr); /* the handle never connects: no warning about it */
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk || !(mc = rd_kafka_mock_cluster_new(rk, brokers))) {
    fprintf(stderr, "mock cluster: %s\n", rk ? "could not be created" : errstr);
    return 1;
  }
  printf("ready %s\n", rd_kafka_mock_cluster_bootstraps(mc));
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (strcmp(line, "quit") == 0) break;
    if (line[0]) command(line);
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
