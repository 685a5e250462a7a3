#!/usr/bin/env node
/**
 * The README's rule index stays true: it lists R1–R27 of domain.md, every `src/…` file it names exists
 * and defines the functions named after it, and every `test/…` file exists and holds the test titles
 * quoted after it (up to a "…"). Prints every stale entry and exits 1 when there is one; `npm run
 * typecheck` runs it, so a move or a rename that forgets the index fails the build.
 */
import fs from "node:fs";

const readme = fs.readFileSync("README.md", "utf8");
const lines = readme.split("\n").filter((l) => /^- \*\*R\d+\*\*/.test(l));
const problems = [];
const seen = new Set();
const read = (p) => (fs.existsSync(p) ? fs.readFileSync(p, "utf8") : null);

for (const line of lines) {
  const rule = line.match(/^- \*\*(R\d+)\*\*/)[1];
  seen.add(rule);
  const [decides, tests = ""] = line.split(" · test: ");
  if (!tests) problems.push(`${rule}: names no test`);
  let file = null;
  let text = null;
  for (const [, token] of decides.matchAll(/`([^`]+)`/g)) {
    if (token.startsWith("src/")) {
      file = token;
      text = read(token);
      if (text === null) problems.push(`${rule}: ${token} does not exist`);
      continue;
    }
    if (!file || text === null || !/^[A-Za-z_][\w.]*$/.test(token)) continue;
    for (const name of token.split("."))
      if (!new RegExp(`\\b${name}\\b`).test(text)) problems.push(`${rule}: ${file} has no ${name}`);
  }
  for (const [, path, titles] of tests.matchAll(/`(test\/[^`]+)`\s*(?:\(((?:[^()"]|"(?:[^"\\]|\\.)*")*)\))?/g)) {
    const body = read(path);
    if (body === null) {
      problems.push(`${rule}: ${path} does not exist`);
      continue;
    }
    for (const [, raw] of (titles ?? "").matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
      const title = raw.replace(/\\"/g, '"').split("…")[0].trim();
      // As written in the test's source: inside "…", '…' or `…`, with the quote escaped.
      const spellings = [title, title.replace(/"/g, '\\"'), title.replace(/'/g, "\\'")];
      if (title && !spellings.some((t) => body.includes(t))) problems.push(`${rule}: ${path} has no test "${title}"`);
    }
  }
}
for (let i = 1; i <= 27; i++) if (!seen.has(`R${i}`)) problems.push(`R${i} is missing from the README's rule index`);

if (problems.length) {
  console.error(`check-rule-index: ${problems.length} stale entr${problems.length === 1 ? "y" : "ies"}\n${problems.map((p) => `  ${p}`).join("\n")}`);
  process.exit(1);
}
console.log(`check-rule-index: R1–R27 each name existing functions and tests`);
