#!/usr/bin/env node
/**
 * The folders of src/ import one way (issue #12). Each folder may import only the folders left of it in
 * LAYERS; a module folder (src/modules/<id>/) imports no other module folder; outside src/modules/ no
 * file imports a module folder or names a module id in code (the core reaches modules through the one
 * list, src/modules/index.ts). Prints every violation and exits 1 when there is one; `npm run typecheck`
 * runs it. `--graph` prints the folder graph.
 */
import fs from "node:fs";
import path from "node:path";

const LAYERS = ["domain", "lib", "http", "db", "modules", "integrations", "account", "words", "notify", "transfers", "imports", "pages", "connect", "webhooks", "staff", "cron", "(entry)"];
const root = path.resolve(process.argv.find((a) => a.startsWith("--root="))?.slice(7) ?? "src");
const moduleIds = fs
  .readdirSync(path.join(root, "modules"), { withFileTypes: true })
  .filter((e) => e.isDirectory() && fs.existsSync(path.join(root, "modules", e.name, "index.ts")))
  .map((e) => e.name);

const files = [];
(function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.tsx?$/.test(e.name)) files.push(p);
  }
})(root);

/** The folder of a file: its first directory under src/, or "(entry)" for app.ts, index.ts, queue.ts. */
const folderOf = (file) => {
  const parts = path.relative(root, file).split(path.sep);
  return parts.length === 1 ? "(entry)" : parts[0];
};
/** The module folder a file is in (src/modules/<id>/…), if any. */
const moduleOf = (file) => {
  const parts = path.relative(root, file).split(path.sep);
  return parts[0] === "modules" && parts.length > 2 && moduleIds.includes(parts[1]) ? parts[1] : null;
};
function resolve(from, spec) {
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts"), path.join(base, "index.tsx")]) if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  return base;
}
/** Code without comments and without the text of template literals' prose is not needed: strings count. */
const stripComments = (src) => src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");

/** The one list imports every module folder; the sandbox shop plays a WooCommerce shop, so it reads orders with that module's mapper. */
const mayImport = (rel, toModule, fromModule) => rel === path.join("modules", "index.ts") || (fromModule === "sandbox" && toModule === "woocommerce");

const problems = [];
const graph = new Map();
const idPattern = new RegExp(`["'\`](${moduleIds.join("|")})["'\`]`);
for (const file of files) {
  const rel = path.relative(root, file);
  const text = fs.readFileSync(file, "utf8");
  const from = folderOf(file);
  const fromModule = moduleOf(file);
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"|import\("(\.[^"]+)"\)/g)) {
    const target = resolve(file, m[1] ?? m[2]);
    const to = folderOf(target);
    const toModule = moduleOf(target);
    if (from !== to) {
      graph.set(`${from} -> ${to}`, (graph.get(`${from} -> ${to}`) ?? new Set()).add(rel));
      const a = LAYERS.indexOf(from);
      const b = LAYERS.indexOf(to);
      if (a < 0) problems.push(`${rel}: the folder ${from} is not in the layer list (scripts/check-layers.mjs)`);
      else if (b < 0 || b >= a) problems.push(`${rel}: ${from} may not import ${to} (${path.relative(root, target)})`);
    }
    if (toModule && toModule !== fromModule && !mayImport(rel, toModule, fromModule)) problems.push(`${rel}: imports the module folder ${toModule} (${path.relative(root, target)}); reach it through src/modules/index.ts`);
  }
  if (!fromModule && from !== "modules") {
    stripComments(text)
      .split("\n")
      .forEach((line, i) => {
        const hit = line.match(idPattern);
        if (hit) problems.push(`${rel}:${i + 1}: names the module "${hit[1]}"; ask the module list instead`);
      });
  }
}

if (process.argv.includes("--graph")) for (const [k, v] of [...graph].sort()) console.log(`${k}  (${[...v].slice(0, 3).join(", ")})`);
if (problems.length) {
  console.error(`check-layers: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join("\n")}`);
  process.exit(1);
}
console.log(`check-layers: ${files.length} files, ${graph.size} folder edges, all one way; no module named outside src/modules/`);
