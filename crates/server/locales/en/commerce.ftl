## Contracts under the Specified Commercial Transactions Act: input errors

err-amount_negative = An amount cannot be negative.
err-amount_too_large = The amount is too large (at most one trillion yen).
err-total_negative = The contract total cannot be negative.
err-total_too_large = The contract total is too large (at most one trillion yen).
err-sessions_zero = A contract has at least one session.
err-sessions_too_many = Too many sessions for one contract.
err-used_exceeds_sessions = More sessions given than the contract has.
err-notice_before_contract = The cancellation notice is dated before the contract.
err-document_received_before_contract = The contract document is dated as received before the contract.
err-paid_exceeds_total = The amount paid is more than the contract total. Please check it.
err-percent_above_100 = A percentage is at most 100%.

field-total = Contract total (tax included)
field-sessions = Sessions in the contract
field-used = Sessions given
field-notice = Date of the cancellation notice
field-document_received = Date the contract document was received
field-paid = Amount paid
field-lines = Lines
field-terms_before_start_fee = Cancellation fee before the first session (clinic terms)
field-terms_after_start_fee_cap = Cap on the cancellation fee after the first session (clinic terms)
field-terms_after_start_fee_percent = Cancellation fee after the first session as a percentage (clinic terms)
