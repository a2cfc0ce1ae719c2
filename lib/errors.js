'use strict'
// pm's errors on the JS side: every error pm throws or rejects with carries a stable `code`
// (`ERR_PM_OPTION`, ...; the list is src/error.rs and index.d.ts's `PmErrorCode`). The native
// layer throws synchronous errors with their code already set and settles promises with
// `{ ok }` or `{ error: { code, message } }`; `settle` turns the latter into a value or a
// rejection. Node 12 syntax only.

/** An Error (or `Ctor`, e.g. TypeError) with pm's `code`. */
function pmError (code, message, Ctor) {
  const err = new (Ctor || Error)(message)
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true })
  return err
}

/** The value of a native promise's outcome, or its error thrown. */
function settle (outcome) {
  if (outcome && outcome.error) throw pmError(outcome.error.code, outcome.error.message)
  return outcome ? outcome.ok : undefined
}

module.exports = { pmError: pmError, settle: settle }
