#!/usr/bin/env node
// The `capstan` command: the compiled CLI entry point.
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2))).catch((err) => {
  console.error(err?.stack ?? String(err));
  process.exit(1);
});
