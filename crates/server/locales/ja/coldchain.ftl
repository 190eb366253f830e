# 温度管理（データロガー）
err-comment_required = コメントを入力してください。
field-comment = コメント
err-logger_empty = ファイルに温度記録がありません。
err-logger_too_large = ファイルが大きすぎます（{ $line }行目）。期間を分けて取り込んでください。
err-logger_no_header = 見出し行（日時と温度の列）が見つかりません（{ $line }行目まで確認）。
err-logger_ambiguous_column = 温度の列が複数あります（{ $line }行目 {$column}列目）。1つのセンサーの列だけを出力してください。
err-logger_fahrenheit = 温度が華氏（°F）です（{ $line }行目 { $column }列目）。摂氏で出力してください。
err-logger_bad_row = { $line }行目の列の数が見出しと合いません（{ $column }列目）。
err-logger_bad_timestamp = { $line }行目 { $column }列目の日時を読み取れません。
err-logger_bad_temperature = { $line }行目 { $column }列目の温度を読み取れません。
err-logger_temperature_out_of_range = { $line }行目 { $column }列目の温度が想定範囲（-200〜100℃）外です。
err-logger_decimal_comma = { $line }行目 { $column }列目で小数点にカンマが使われています。小数点「.」で出力するか、区切りをセミコロンかタブにしてください。
err-logger_duplicate_time = { $line }行目の日時が前の行と重複しています。
err-logger_out_of_order = { $line }行目の日時が前の行より前です（時刻順に並べてください）。
err-logger_no_readings = 見出し行（{ $line }行目）の後に温度記録がありません。
