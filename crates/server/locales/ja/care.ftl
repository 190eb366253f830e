# 施術時チェック（投与前の確認）: 所見と、投与を記録できない理由
# パラメータ: route・plan_route は投与経路のラベル（route-<code>）、finding は問診所見のラベル
# （pui-finding-<code>）に置き換えて渡す。日付は院の現地日付（YYYY-MM-DD）。

## 区分
care-severity-block = 使用不可
care-severity-override = 医師の判断が必要
care-severity-warning = 注意

## 止める所見（誰も解除できません）
care-clinic_time_zone_invalid = 院のタイムゾーン（{ $time_zone }）が正しくありません。管理者が設定を直すまで投与できません。
care-no_vial_scanned = バイアルが読み取られていません。投与するバイアルをスキャンしてください。
care-patient_identity_unconfirmed = 患者確認ができていません。氏名と生年月日を確認するか、診察券をスキャンしてください。
care-patient_identity_mismatch = 患者確認で情報が一致しません（氏名・生年月日または診察券）。別の患者の可能性があります。投与できません。
care-consent_missing = { $route }の施術について、署名済みの同意書がありません。投与できません。
care-consent_withdrawn = { $route }の施術への同意は撤回されています。投与できません。
care-consent_same_day_unjustified = 本日は初回説明日（{ $explained_on }）です。即日施術の医学的必要性について、医師の理由が同意書に記録されていません。投与できません。
care-appointment_other_patient = この予約は別の患者のものです。患者と予約を確認してください。
care-lot_not_released = ロット { $lot } は出荷判定前（検疫中）です。使用できません。
care-lot_on_hold = ロット { $lot } は保留中です。使用できません。
care-lot_recalled = ロット { $lot } は回収対象です。使用できません。
care-lot_rejected = ロット { $lot } は不合格（廃棄対象）です。使用できません。
care-lot_expired = このロット（{ $lot }）は使用期限（{ $expiry }）を過ぎています。使用できません。
care-lot_temperature_excursion = ロット { $lot } に未確認の温度逸脱があります（{ $count }件）。品質担当が確認するまで使用できません。
care-out_of_stock = ロット { $lot } の在庫が足りません（この場所の在庫 { $on_hand }本、スキャン { $needed }本）。在庫を確認してください。
care-vial_already_used = { $position }本目のバイアル（ロット { $lot }）は使用済みです。使用できません。
care-vial_open_too_long = { $position }本目のバイアル（ロット { $lot }）は開封・解凍から{ $minutes_open }分たっています（開封 { $opened_at }、使用可能時間 { $in_use_minutes }分）。使用できません。
care-vial_scanned_twice = { $position }本目のバイアル（ロット { $lot }）は、すでにスキャンしたバイアルと同じです。

## 医師の判断が必要な所見（医師が理由を記載すれば投与できます）
care-screening_missing = 問診・適格判定（スクリーニング）がありません。医師の判断が必要です。
care-screening_undecided = スクリーニングは医師の判定待ちです。医師の判断が必要です。
care-screening_stale = スクリーニングの後に問診の回答が変わっています。医師の判断が必要です。
care-screening_expired = 適格判定の有効期限（{ $until }）が切れています。医師の判断が必要です。
care-screening_not_eligible = 医師の判定は「不適格」です。投与するには医師の判断と理由の記載が必要です。
care-contraindication_flagged = 問診で禁忌にあたる可能性のある項目があります（{ $finding }）。医師の判断が必要です。
care-plan_missing = 治療計画がありません。医師の判断が必要です。
care-plan_not_approved = 治療計画が医師に承認されていません。医師の判断が必要です。
care-route_not_in_plan = 投与経路（{ $route }）が治療計画の経路（{ $plan_route }）と異なります。医師の判断が必要です。
care-product_not_in_plan = 製品 { $product } は治療計画に含まれていません。医師の判断が必要です。
care-route_not_labelled = 製品 { $product } の表示された投与経路に{ $route }は含まれていません。医師の判断が必要です。
care-interval_too_short = 前回の投与（{ $last_date }）から{ $days_since }日です。治療計画の最短間隔は{ $min_days }日です。医師の判断が必要です。

## 注意（投与は止めません）
care-lot_expires_soon = ロット { $lot } の使用期限は { $expiry } です（残り{ $days_left }日）。
care-same_day_first_treatment = 初回説明と同じ日（{ $explained_on }）の施術です。医師が記録した即日施術の理由を確認してください。
care-screening_with_conditions = 条件付き適格です。条件: { $conditions }
care-plan_component_missing = 治療計画の製品 { $product } がスキャンされていません。
care-blend_share_mismatch = 製品 { $product } の配合割合が治療計画と異なります（計画 { $planned_percent }%、今回 { $actual_percent }%）。
care-appointment_missing = この患者の予約がありません。
care-appointment_other_day = 予約日は { $date } です。本日の予約ではありません。
care-appointment_closed = この予約は完了・キャンセル・無断キャンセルのいずれかになっています。予約を確認してください。
care-blood_donation_notice = この患者にヒト由来の製品をはじめて投与します。院の献血に関する説明を行い、記録してください（献血の際は問診で申告するようお伝えください）。

## 投与を記録できない理由
err-check_blocked = 投与を記録できません（誰も解除できません）：{ $message }
err-override_required = 医師の判断と理由の記載が必要です：{ $message }
err-override_not_allowed = この所見は医師の判断でも解除できません。
err-override_not_applicable = この所見は現在ありません。画面を更新して、もう一度確認してください。
err-override_reason_required = 医師の判断の理由を記載してください。
err-override_reason_too_long = 理由は2000文字以内で記載してください。
err-override_reason_invalid = 理由に使えない文字が含まれています。
err-override_duplicate = 同じ所見に対する医師の判断が2つあります。
