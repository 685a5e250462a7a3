/** The imports feature's public face: lifecycle, page handling, test transfer and report. */
export * from "./lifecycle";
export * from "./pages";
export * from "./test-transfer";
export * from "./report";
