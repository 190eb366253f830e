## Contracts under the Specified Commercial Transactions Act: input errors

err-amount_negative = 金額に負の値は使えません。
err-amount_too_large = 金額が大きすぎます（1兆円以下で入力してください）。
err-total_negative = 契約総額に負の値は使えません。
err-total_too_large = 契約総額が大きすぎます（1兆円以下で入力してください）。
err-sessions_zero = 契約回数は1回以上にしてください。
err-sessions_too_many = 契約回数が多すぎます。
err-used_exceeds_sessions = 提供済みの回数が契約回数を超えています。
err-notice_before_contract = 解約の申し出日が契約日より前になっています。
err-document_received_before_contract = 契約書面の受領日が契約日より前になっています。
err-paid_exceeds_total = 支払済み額が契約総額を超えています。入力を確認してください。
err-percent_above_100 = 割合は100%以下にしてください。

field-total = 契約総額（税込）
field-sessions = 契約回数
field-used = 提供済みの回数
field-notice = 解約の申し出日
field-document_received = 契約書面の受領日
field-paid = 支払済み額
field-lines = 明細
field-terms_before_start_fee = 施術開始前の解約手数料（院内規定）
field-terms_after_start_fee_cap = 施術開始後の解約手数料の上限（院内規定）
field-terms_after_start_fee_percent = 施術開始後の解約手数料の割合（院内規定）
