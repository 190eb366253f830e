backup-status-title = バックアップ
backup-status-last = 最新のバックアップ
backup-status-stale = 1日以上バックアップが取られていません。サーバーのログと保存先を確認してください。
backup-status-none = 保存先にバックアップがまだありません。サーバーのログと保存先を確認してください。
backup-status-dir = 保存先
backup-status-age = { $hours }時間前
