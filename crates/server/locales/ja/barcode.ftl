# jousei — バーコード（GS1・ISBT 128）、スキャン確認、バイアルラベル

## ナビゲーション
nav-scan = スキャン確認
nav-labels = バイアルラベル

## スキャン欄（部品）
scan-field-label = バーコード
scan-field-hint = スキャンしてください。ラベルが読めないときは、コードを入力して Enter を押します（括弧付き表記 (01)…(17)…(10)…、GS1 Digital Link、ISBT 128 も使えます）。
scan-read = 読み取る
scan-reading = 読み取り中…
scan-result-ok = 読み取りました
scan-result-warnings = 確認が必要です
scan-result-error = 読み取れません
scan-confirm = 警告の内容を、ラベルの印字と照合しました
scan-accept = この内容で受け付ける
scan-accepted = 受け付けました
scan-use-reading = この読み方で読み直す
scan-alternative = 別の読み方: { $reading }
scan-raw = 受信データ
scan-warnings = 警告
scan-ais = すべてのAI
scan-ai = AI
scan-value = 値
scan-kind = 種類
scan-symbology = シンボル
scan-symbology-none = 識別子なし
scan-format-element_string = GS1 エレメントストリング
scan-format-bracketed = GS1 括弧付き表記
scan-format-digital_link = GS1 Digital Link
scan-format-gtin = GTINのみ（JAN・EAN・UPC・ITF）
scan-format-isbt128 = ISBT 128
scan-gtin = GTIN（商品コード）
scan-internal-id = 院内製品ID
scan-lot = ロット番号
scan-expiry = 有効期限
scan-production-date = 製造日
scan-serial = シリアル番号
scan-quantity = 数量
scan-din = 献血番号（DIN）
scan-flags = フラグ文字
scan-check-character = チェック文字
scan-product-code = 製剤コード
scan-none = （なし）

## スキャン確認ページ
scan-title = スキャン確認
scan-intro = バーコードスキャナーの動作と、読み取った内容を確認できます。ここで読み取ったデータは保存されません。
scan-history = 受け付けたスキャン（この画面のみ）
scan-history-empty = まだありません。
scan-setup = スキャナーの設定
scan-setup-help = 下のテスト用シンボルを画面から読み取ってください。ロット番号とシリアル番号が別々に表示され、警告がなければ、区切り文字（GS）は正しく送信されています。スキャナーは「AIMコードID（シンボル識別子）を送信」「終端に Enter」に設定することをお勧めします。GS（0x1D）を送れないスキャナーは、GSを <GS>、{"{"}GS{"}"}、[GS]、^]、^、|、~ のいずれかの文字に置き換える設定にしてください。
scan-setup-symbol = テスト用シンボル
scan-setup-expected = 正しく読めると: { $expected }
scan-diag = 入力の様子
scan-diag-symbology-yes = シンボル識別子 { $identifier } が送信されています（推奨どおり）。
scan-diag-symbology-no = シンボル識別子（]d2 など）は送信されていません。スキャナーで「AIMコードID」の送信を有効にすることをお勧めします。
scan-diag-gs-char = 区切り文字は GS（0x1D）として届きました。
scan-diag-gs-stand-in = 区切り文字は「{ $stand_in }」として届き、GSとして読み替えました。
scan-diag-gs-none = 区切り文字は含まれていませんでした（区切りが不要なシンボルもあります）。
scan-diag-suffix = 読み取りの終わり: { $suffix }
scan-suffix-enter = Enter キー
scan-suffix-tab = Tab キー
scan-suffix-button = 「読み取る」ボタン
scan-suffix-idle = 入力が止まったため自動で確定
scan-diag-speed-scanner = 入力速度: 1文字あたり平均 { $ms } ミリ秒（スキャナーの速さです）。
scan-diag-speed-hand = 入力速度: 1文字あたり平均 { $ms } ミリ秒（手入力の速さです）。

## バイアルラベル
labels-title = バイアルラベル
labels-intro = GS1バーコードのないバイアルに貼るラベルを作成します。GS1 DataMatrix と、製品名・ロット番号・有効期限・シリアル番号を印字し、A4用紙に印刷できます。
labels-product-kind = 製品の識別
labels-kind-gtin = GTIN（JANコード）がある
labels-kind-internal = GTINがない（院内製品IDを使う）
labels-gtin = GTIN（8・12・13・14桁）
labels-internal-id = 院内製品ID
labels-internal-id-hint = GTINのない製品だけ。半角英数字と記号で90文字まで（AI (92) に入ります）。
labels-product-name = 製品名（ラベルに印字）
labels-lot = ロット番号
labels-expiry = 有効期限
labels-count = 枚数（バイアルの数）
labels-first-serial = 最初のシリアル番号
labels-first-serial-hint = 末尾の数字を1ずつ増やします（例: V0001 → V0002、V0003…）。
labels-generate = ラベルを作成
labels-print = 印刷
labels-sheet = ラベルシート（{ $count }枚）
labels-sheet-help = A4・倍率100%（実際のサイズ）で印刷してください。印刷したラベルを「スキャン確認」で読み取ると、同じ製品・ロット番号・有効期限・シリアル番号が表示されます。
labels-api = 同じ操作はAPI（POST /api/v1/barcode/labels）でも行えます。
labels-printed = ラベル { $count }枚を作成しました（{ $first } 〜 { $last }）。

## AIの名前
barcode-ai-00 = SSCC
barcode-ai-01 = 商品コード（GTIN）
barcode-ai-02 = 内容物のGTIN
barcode-ai-10 = ロット番号
barcode-ai-11 = 製造日
barcode-ai-13 = 包装日
barcode-ai-15 = 品質保持期限
barcode-ai-16 = 販売期限
barcode-ai-17 = 有効期限
barcode-ai-21 = シリアル番号
barcode-ai-22 = 製品バリアント
barcode-ai-30 = 数量
barcode-ai-37 = 取引単位の数量
barcode-ai-7003 = 有効期限日時
barcode-ai-92 = 院内製品ID

## エラーの場所
barcode-where-ai = 項目 { $ai }
barcode-where-structure = データ構造 { $ai }
barcode-where-position = { $position }文字目
barcode-where-separator = 、
barcode-detail = { $where }: { $message }
barcode-gs-stand-in-in-value = 「{ $value }」には、スキャナーが区切り文字の代わりに送る文字が含まれているため、ラベルに使えません。

## バーコードのエラー（コードごと）
err-barcode_empty = 何も読み取れませんでした。もう一度スキャンするか、コードを入力してください。
err-barcode_input_too_long = 入力が長すぎます（{ $max }文字まで）。
err-barcode_unsupported_symbology = シンボル識別子 { $identifier } のバーコードは読み取れません。GS1バーコード（GS1 DataMatrix、GS1-128、GS1データバーなど）またはISBT 128を読み取ってください。
err-barcode_not_gs1 = シンボル識別子 { $identifier } のシンボルはGS1形式ではなく、GS1 Digital LinkのURIもISBT 128のデータも含んでいません。
err-barcode_unknown_ai = 「{ $found }」はGS1のアプリケーション識別子（AI）ではありません。
err-barcode_truncated = データが途中で終わっています（{ $expected }文字必要ですが、{ $found }文字しかありません）。
err-barcode_field_too_long = 項目の値「{ $value }」は{ $found }文字ですが、最大{ $max }文字です。区切り文字（GS）が欠けている可能性があります。
err-barcode_field_too_short = 項目の値「{ $value }」は{ $found }文字ですが、{ $min }文字以上必要です。
err-barcode_invalid_character = 文字「{ $character }」はここでは使えません（使える文字: { $charset }）。
err-barcode_bad_check_digit = 「{ $value }」のチェックディジットが正しくありません（{ $found } ですが、正しくは { $expected }）。読み違いか入力ミスです。
err-barcode_invalid_date = 「{ $value }」は日付として正しくありません（{ $problem ->
        [month] 月が正しくありません
        [day] 日が正しくありません
       *[other] 6桁の数字ではありません
    }）。
err-barcode_invalid_time = 「{ $value }」は時刻として正しくありません。
err-barcode_invalid_value = 「{ $value }」はこの項目の規則（{ $linter }）に合いません。
err-barcode_conflicting_ai = 同じAIが、異なる値「{ $first }」と「{ $second }」で2回含まれています。
err-barcode_invalid_ai_pairing = AI ({ $other }) と同時に使うことはできません。
err-barcode_malformed_hri = 括弧付きの表記が正しくありません。(01)04912345678904(17)271231(10)LOT123 のように入力してください。
err-barcode_dl_invalid_uri = GS1 Digital LinkのURIとして正しくありません（https://ドメイン/01/GTIN… の形式です）。
err-barcode_dl_no_primary_key = GS1 Digital LinkのURIに主キー（/01/GTIN など）がありません。
err-barcode_dl_bad_qualifier_order = Digital Linkの ({ $key }) の後の修飾子の順序が正しくありません（{ $found }）。
err-barcode_dl_invalid_attribute = このAIはDigital Linkのクエリー（?以降）には使えないか、重複しています。
err-barcode_dl_invalid_encoding = Digital LinkのURIの文字のエンコード（%xx）が正しくありません。
err-barcode_dl_gtin_not_14_digits = Digital LinkのパスのGTINは14桁でなければなりません（{ $found }桁です）。
err-barcode_invalid_gtin_length = GTINの桁数が正しくありません（{ $found }桁です。{ $expected }桁のいずれかが必要です）。
err-barcode_isbt_unknown_data_structure = 「{ $identifier }」で始まるISBT 128のデータ構造はありません。
err-barcode_isbt_bad_check_flags = 献血番号（DIN）のフラグ文字 { $found } がDINのチェック値と一致しません（正しくは { $expected }）。
err-barcode_isbt_bad_check_character = キーボード入力用のチェック文字 { $found } がDINと一致しません（正しくは { $expected }）。
err-barcode_isbt_compound_mismatch = 複合メッセージのデータ構造の数が合いません（宣言は{ $declared }個、実際は{ $found }個）。
err-barcode_today_invalid = 基準日（today）は YYYY-MM-DD の形式で指定してください。

## スキャンの警告（コードごと）
warn-barcode_possible_missing_separator = { $ai }の値「{ $value }」には、区切り文字（GS）が欠けたために次の項目が入り込んでいる可能性があります。ラベルの印字と照合してください。
warn-barcode_day_zero_date = { $ai }の日付 { $value } は日が「00」のため、月末日 { $interpreted_as } として読みました。医療用のラベルには実際の日付があるはずです。ラベルと照合してください。
warn-barcode_missing_associated_ai = { $ai }には、通常 { $requires } のいずれかが一緒に含まれます。製品コードが読み取れていません。
warn-barcode_duplicate_ai = { $ai }の値 { $value } が2回含まれていました（1つとして扱います）。
warn-barcode_fullwidth_normalised = 全角文字を半角として読みました。日本語入力（IME）がオンになっていないか確認してください。
warn-barcode_expiry_conflict = 有効期限 (17) { $expiry_date } と有効期限日時 (7003) { $expiry_datetime } が一致しません。(7003) を使います。

## ラベルのエラー（コードごと）
err-label_invalid_field = { $field }をラベルに使えません。
err-label_expiry_out_of_range = 有効期限 { $expiry } は2桁の年では表せません（基準日 { $today } の49年前から50年後まで）。
err-label_encoding_failed = DataMatrixを作成できませんでした。入力を短くしてください。
err-label_product_required = GTINまたは院内製品IDを入力してください。
err-label_product_ambiguous = GTINと院内製品IDは、どちらか一方だけを入力してください。
err-label_name_required = 製品名を入力してください。
err-label_name_too_long = 製品名は{ $max }文字までにしてください。
err-label_lot_required = ロット番号を入力してください。
err-label_expiry_invalid = 有効期限は YYYY-MM-DD の形式の日付で入力してください。
err-label_count_out_of_range = 枚数は1〜{ $max }枚にしてください。
err-label_serials_conflict = シリアル番号は、一覧（serials）か、最初の番号と枚数（first_serial と count）のどちらか一方で指定してください。
err-label_serial_required = シリアル番号を入力してください。
err-label_serial_not_numbered = 最初のシリアル番号「{ $serial }」の末尾に数字がないため、連番を作れません。
err-label_serial_duplicate = シリアル番号「{ $serial }」が重複しています。
err-label_module_out_of_range = モジュールの大きさは { $min }〜{ $max } mm にしてください。

## ラベルの項目名
label-field-gtin = GTIN
label-field-internal_id = 院内製品ID
label-field-product_name = 製品名
label-field-lot = ロット番号
label-field-expiry = 有効期限
label-field-serials = シリアル番号
label-field-first_serial = 最初のシリアル番号
label-field-count = 枚数
label-field-module_mm = モジュールの大きさ
label-field-today = 基準日
label-field-data = バーコード
