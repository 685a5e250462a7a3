/** The Copenhagen calendar is domain knowledge (src/domain/calendar.ts); this re-export keeps older imports working. */
export * from "../domain/calendar";
