import { DocumentGone } from "../domain/errors";
import type { DocumentRef } from "../domain/order";

/** The three steps of making one document (an invoice; later a credit note) in an accounting system. */
export interface DocumentSteps<R> {
  /** The document carrying our reference, if the accounting system has one (booked looked up first when documents are booked). */
  find(): Promise<DocumentRef | null>;
  /** Brings an existing document up to date and to the configured type; throws DocumentGone when it no longer exists. */
  complete(document: DocumentRef): Promise<R>;
  create(): Promise<R>;
}

/**
 * Makes the document exactly once, whatever an earlier attempt left behind. After an uncertain attempt
 * (any step whose answer was lost), or when a document is recorded, the accounting system is asked for
 * our reference before anything is touched: a recorded draft may have been booked by an attempt whose
 * answer never came back. A document that turns out to be gone is looked up once more (booked since),
 * and only when our reference is nowhere is a new one created.
 */
export async function makeDocumentOnce<R>(steps: DocumentSteps<R>, recorded: DocumentRef | null, uncertain: boolean): Promise<{ result: R; earlier: DocumentRef | null }> {
  const found = recorded || uncertain ? await steps.find() : null;
  const earlier = found ?? recorded;
  if (!earlier) return { result: await steps.create(), earlier: null };
  try {
    return { result: await steps.complete(earlier), earlier };
  } catch (e) {
    if (!(e instanceof DocumentGone)) throw e;
    const again = found ? await steps.find() : null;
    if (again && again.type === earlier.type && again.number === earlier.number) throw e;
    if (again) return { result: await steps.complete(again), earlier: again };
    return { result: await steps.create(), earlier: null };
  }
}
