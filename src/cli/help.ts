/** The --help text. README's "Commands" section is checked against it (test/unit/cli/help.test.ts). */
export const HELP = `vim-event-relay: relay OpenStack/VIO nova notifications to ONAP: DMaaP Message Router, Kafka, VES.

Usage:
  vim-event-relay [run] [--config FILE] [--with-dmaap-dev] [--reseed]
  vim-event-relay check-config [--config FILE]
  vim-event-relay replay --vim ID [--config FILE] FILE...
  vim-event-relay explain --vim ID [--config FILE] FILE
  vim-event-relay deadletters list|show|redrive --vim ID [--config FILE] [--limit N] [--all] [ID...]
  vim-event-relay reencrypt-store [--config FILE]
  vim-event-relay dmaap-dev [--port 3904] [--host 127.0.0.1]
  vim-event-relay --help | --version

Commands:
  run            the daemon (the default when no command is given)
  check-config   validate the config; print it with secrets redacted; exit 0 valid, 1 invalid;
                 on stderr, whether the store's or the config's vims and subscriptions are in force
  replay         print, one JSON line each, the messages FILE(s) would publish and to which topics
                 (no broker, no DMaaP); FILE is a wire body, an oslo envelope or a bare message;
                 subscriptions from the configured store (file or PostgreSQL, read-only) if it exists
  explain        what the VIM's subscriptions would send FILE to, and why each other does not
                 take it (JSON); nothing is published
  deadletters    what waits in the VIM's dead-letter queue (list: reason, count, age; show ID: with
                 its body) and re-drive IDs (or --all) to the VIM's queue, at-least-once
  reencrypt-store  write every secret of the store again under the first key of store.secretKeyFile
  dmaap-dev      a DMaaP Message Router-compatible development server, in memory

Options:
  --config FILE       config file (default: $VIM_EVENT_RELAY_CONFIG, then config/default.json)
  --with-dmaap-dev    run: also serve dmaap-dev in-process on dmaap.url's port (demos)
  --reseed            run: the config's vims and subscriptions replace the store's (once it exists,
                      the store is the source of truth and the config's lists are ignored)
  --vim ID            replay, explain: the VIM whose subscriptions apply; deadletters: the VIM
  --limit N           deadletters list, show: read at most N dead letters (default 100)
  --all               deadletters redrive: every dead letter
  --port N            dmaap-dev: port (default 3904)
  --host ADDR         dmaap-dev: address (default 127.0.0.1)
  -h, --help          this text
  -v, --version       the version

Every config key can also be set by an environment variable; see the README.
`;
