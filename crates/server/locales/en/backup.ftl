backup-status-title = Backups
backup-status-last = Latest backup
backup-status-stale = No backup in more than a day. Check the server log and the backup directory.
backup-status-none = No backup in the backup directory yet. Check the server log and the backup directory.
backup-status-dir = Directory
backup-status-age = { $hours } hours ago
