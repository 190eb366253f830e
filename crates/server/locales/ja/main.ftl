# jousei — 日本語（第一言語）
app-name = 上清 jousei
app-tagline = 幹細胞培養上清液・エクソソーム治療のトレーサビリティと安全管理

## ナビゲーション
nav-home = ホーム
nav-supply = 在庫・品質
nav-patients = 患者
nav-schedule = 予約・計画
nav-chair = 施術（チェアサイド）
nav-safety = 安全管理
nav-contracts = 契約・会計
nav-admin = 管理
nav-users = ユーザー
nav-audit = 監査ログ
nav-account = アカウント
nav-not-yet = この機能は今後のリリースで提供されます
nav-skip = 本文へ移動
nav-main = メインメニュー

## ヘッダー
header-user = ログイン中
header-clinic = 院
header-language = 表示言語
header-switch-clinic = 院を切り替える
header-logout = ログアウト
lang-ja = 日本語
lang-en = English
action-switch = 切替

## ログイン
login-title = ログイン
login-login = ログインID
login-password = パスワード
login-submit = ログイン
login-failed = ログインIDまたはパスワードが正しくありません。
login-expired = 一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。
login-logged-out = ログアウトしました。
login-help = 共用端末では、離席時に必ずログアウトしてください。{ $minutes }分間操作がないと自動的にログアウトします。

## ホーム
home-title = ホーム
home-welcome = { $name } さん、こんにちは。
home-role = 本院での役割: { $role }
home-clinic = 院: { $clinic }
home-areas = 業務エリア
home-available = 利用可能
home-coming = 今後提供
home-area-supply = 製品・ロット・品質証明書・出荷判定・在庫・温度管理
home-area-patients = 患者登録・問診・適格性判定・同意
home-area-schedule = 治療計画・プロトコル・予約
home-area-chair = 投与前チェック・投与記録
home-area-safety = 有害事象・ルックバック・回収
home-area-contracts = 料金・契約（特定商取引法）・支払・領収書
home-area-admin = ユーザーと権限・監査ログ
home-audit-chain = 監査ログの連鎖: { $count } 件
home-backend = データベース: { $backend }

## 役割
role-physician = 医師
role-nurse = 看護師
role-coordinator = 受付・カウンセラー
role-quality = 品質・薬剤
role-admin = 院長・管理者
role-auditor = 監査

## ユーザー管理
users-title = ユーザー
users-login = ログインID
users-name = 氏名
users-role = 役割
users-active = 状態
users-active-yes = 有効
users-active-no = 無効
users-add = ユーザーを追加
users-display-name = 氏名（表示名）
users-initial-password = 初期パスワード
users-password-rule = 13文字以上で、英字・数字・記号をすべて含めてください（医療情報システムの安全管理に関するガイドライン第6.0版）。
users-created = ユーザー { $login } を追加しました。
users-deactivate = 無効にする
users-activate = 有効にする
users-none = ユーザーはいません。
users-unlock = ロック解除
users-locked = ロック中（パスワードの誤りが続いたため）

## アカウント
account-title = アカウント
account-language = 表示言語の設定
account-language-auto = ブラウザの設定に従う
account-save = 保存
account-saved = 保存しました。
account-password = パスワードの変更
account-current-password = 現在のパスワード
account-new-password = 新しいパスワード
account-password-changed = パスワードを変更しました。
account-tokens = APIトークン
account-tokens-help = 外部システム連携用のトークンです。`Authorization: Bearer` ヘッダーで送信します。トークンは作成時に一度だけ表示されます。
account-token-name = 用途（名前）
account-token-create = トークンを作成
account-token-created = 新しいトークンです。今すぐ安全な場所に保存してください。この画面を離れると二度と表示されません。
account-token-prefix = 識別子
account-token-created-at = 作成日時
account-token-last-used = 最終使用
account-token-revoked = 失効
account-token-revoke = 失効させる
account-token-never = 未使用
account-tokens-none = トークンはありません。

## 監査ログ
audit-title = 監査ログ
audit-help = すべての書き込みと患者記録の閲覧は、改ざんを検出できるハッシュ連鎖で記録されます。ここでは変更・削除できません。
audit-seq = 番号
audit-at = 日時
audit-actor = 操作者
audit-action = 操作
audit-entity = 対象
audit-changes = 内容
audit-hash = ハッシュ
audit-older = さらに古い記録
audit-none = 記録はありません。

## 共通
common-required = 必須
common-back = 戻る
common-yes = はい
common-no = いいえ
common-time-zone = 表示時刻: { $zone }

## エラー（コードごと）
err-internal_error = 内部エラーが発生しました。時間をおいて再度お試しください。
err-not_found = 見つかりません。
err-unauthenticated = ログインが必要です。
err-forbidden = この操作を行う権限がありません。
err-csrf_failed = フォームの有効期限が切れたか、不正な送信元からの要求です。ページを再読み込みしてやり直してください。
err-csrf_origin_mismatch = 別のサイトからの送信は受け付けられません。
err-invalid_request = 要求の形式が正しくありません。
err-login_failed = ログインIDまたはパスワードが正しくありません。
err-too_many_attempts = パスワードの誤りが続いたため、{ $minutes }分間ロックしています。時間をおいて再度お試しいただくか、管理者にロック解除を依頼してください。
err-login_too_long = ログインIDが長すぎます（{ $max }文字以内）。
err-user_inactive = このユーザーは無効になっています。管理者に連絡してください。
err-no_clinic = このユーザーにはどの院も割り当てられていません。
err-session_expired = セッションの有効期限が切れました。もう一度ログインしてください。
err-login_required = ログインIDを入力してください。
err-login_invalid_length = ログインIDは3〜64文字にしてください。
err-login_invalid_characters = ログインIDには半角英数字と「. _ - @」のみ使えます。
err-user_login_taken = このログインIDはすでに使われています。
err-clinic_code_required = 院コードを入力してください。
err-clinic_code_invalid = 院コードは2〜32文字の半角英小文字・数字・ハイフンにしてください。
err-clinic_code_taken = この院コードはすでに使われています。
err-clinic_not_found = 院が見つかりません。
err-clinic_not_granted = この院へのアクセス権がありません。
err-field_required = 入力してください。
err-field_too_long = 長すぎます。
err-field_invalid_characters = 使用できない文字が含まれています。
err-role_invalid = 役割が正しくありません。
err-locale_invalid = 表示言語が正しくありません。
err-password_too_short = パスワードは13文字以上にしてください。
err-password_too_short_with_second_factor = パスワードは8文字以上にしてください。
err-password_needs_mix = パスワードには英字・数字・記号をすべて含めてください。
err-password_contains_login = パスワードにログインIDを含めることはできません。
err-password_too_long = パスワードが長すぎます（256文字まで）。
err-password_invalid_characters = パスワードに使用できない文字が含まれています。
err-password_incorrect = 現在のパスワードが正しくありません。
err-token_invalid = APIトークンが無効か、失効しています。
err-payload_too_large = 送信データが大きすぎます。

## 項目名
field-login = ログインID
field-password = パスワード
field-new_password = 新しいパスワード
field-display_name = 氏名
field-role = 役割
field-clinic = 院
field-name = 名前
field-locale = 表示言語

## エラーページ
error-title = エラー
error-request-id = 問い合わせ番号: { $id }
error-status = ステータス { $status }
err-database_unavailable = データベースに接続できません。
err-limit_out_of_range = 件数は1〜1000の範囲で指定してください。
field-limit = 件数
account-must-change = 管理者が設定した初期パスワードです。使い始める前に、ご自身のパスワードに変更してください。
err-password_change_required = 初期パスワードを変更するまで、この操作はできません。
err-backup_target_exists = バックアップの書き込み先がすでに存在します。
