/**
 * D1 write counters for benchmarks (`npm run bench`): with BENCH_METRICS="true" the Worker counts the
 * statements it sends and the rows D1 reports written (`meta.rows_written`, where D1 returns meta).
 */
export const d1Metrics = { statements: 0, writeStatements: 0, rowsWritten: 0 };

const isWrite = (sql: string) => /^\s*(insert|update|delete|replace)\b/i.test(sql);

type Meta = { meta?: { rows_written?: number } };
const add = (r: unknown) => {
  d1Metrics.rowsWritten += (r as Meta)?.meta?.rows_written ?? 0;
  return r;
};

const sqlOf = new WeakMap<object, string>();

function meteredStatement(stmt: D1PreparedStatement, sql: string): D1PreparedStatement {
  const proxy = new Proxy(stmt, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "bind") return (...args: unknown[]) => meteredStatement(value.apply(target, args), sql);
      if (prop === "run" || prop === "all" || prop === "first" || prop === "raw")
        return (...args: unknown[]) => {
          d1Metrics.statements++;
          if (isWrite(sql)) d1Metrics.writeStatements++;
          return Promise.resolve(value.apply(target, args)).then(add);
        };
      return value.bind(target);
    },
  });
  sqlOf.set(proxy, sql);
  return proxy;
}

export function meteredD1(db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === "prepare")
        return (sql: string) => meteredStatement(value.call(target, sql), sql);
      if (prop === "batch")
        return async (stmts: D1PreparedStatement[]) => {
          d1Metrics.statements += stmts.length;
          d1Metrics.writeStatements += stmts.filter((s) => isWrite(sqlOf.get(s) ?? "")).length;
          const results = await value.call(target, stmts);
          (results as unknown[]).forEach(add);
          return results;
        };
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
