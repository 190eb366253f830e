//! Recomputes the audit chain from storage (`jousei audit verify`).

use jousei_core::audit::{ChainBreak, ChainVerifier};

use crate::{Result, Store};

/// Entries read per round trip while verifying.
pub const VERIFY_BATCH: i64 = 5_000;

/// Verifies the whole chain against the recorded head. `progress` is called
/// after each batch with (entries checked, head sequence number).
/// Returns `Ok(Ok(count))` when the chain holds, `Ok(Err(break))` when it does
/// not, and `Err` when the database cannot be read.
pub async fn verify_chain(
    store: &dyn Store,
    mut progress: impl FnMut(u64, i64),
) -> Result<std::result::Result<u64, ChainBreak>> {
    let (head_seq, head_hash) = store.audit_head().await?;
    let mut verifier = ChainVerifier::new();
    let mut after = 0i64;
    let mut checked = 0u64;
    loop {
        let batch = store.audit_batch(after, VERIFY_BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for e in &batch {
            if let Err(b) = verifier.push(e) {
                return Ok(Err(b));
            }
            checked += 1;
        }
        progress(checked, head_seq);
    }
    Ok(verifier.finish(Some((head_seq, &head_hash))))
}
