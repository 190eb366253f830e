//! What backups need from a database of either kind, read from its own
//! catalogue (so tables added by later migrations are included without being
//! named here): tables, columns and their types, primary keys, foreign keys,
//! row counts, applied migrations; rows as [`Val`]s; inserts of rows.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::TryStreamExt;
use sqlx::{Column as _, Postgres, Row as _, Sqlite, Transaction, TypeInfo as _, ValueRef as _};

use super::BackupError;
use super::value::{ColType, Val};
use crate::StoreError;

/// The table sqlx records applied migrations in (not backed up as data: the
/// manifest names the schema version and restore migrates to it).
pub(crate) const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// One column: its name and the type its database declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    pub name: String,
    pub ty: ColType,
}

/// A transaction on either database.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

fn q(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn db(e: sqlx::Error) -> BackupError {
    BackupError::Store(StoreError::Database(e))
}

impl Tx {
    pub async fn commit(self) -> Result<(), BackupError> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
        .map_err(db)
    }

    /// Every table, sorted by name, with sqlx's migrations table.
    pub async fn all_tables(&mut self) -> Result<Vec<String>, BackupError> {
        let names: Vec<String> = match self {
            Tx::Sqlite(t) => sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
            )
            .fetch_all(&mut **t)
            .await,
            Tx::Postgres(t) => sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
            )
            .fetch_all(&mut **t)
            .await,
        }
        .map_err(db)?;
        Ok(names)
    }

    /// The data tables (every table but the migrations table).
    pub async fn data_tables(&mut self) -> Result<Vec<String>, BackupError> {
        let mut t = self.all_tables().await?;
        t.retain(|n| n != MIGRATIONS_TABLE);
        Ok(t)
    }

    /// The versions of the migrations applied, or `None` without a
    /// migrations table.
    pub async fn applied_migrations(&mut self) -> Result<Option<Vec<i64>>, BackupError> {
        if !self
            .all_tables()
            .await?
            .iter()
            .any(|t| t == MIGRATIONS_TABLE)
        {
            return Ok(None);
        }
        let sql = "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";
        let v: Vec<i64> = match self {
            Tx::Sqlite(t) => sqlx::query_scalar(sql).fetch_all(&mut **t).await,
            Tx::Postgres(t) => sqlx::query_scalar(sql).fetch_all(&mut **t).await,
        }
        .map_err(db)?;
        Ok(Some(v))
    }

    pub async fn columns(&mut self, table: &str) -> Result<Vec<Column>, BackupError> {
        match self {
            Tx::Sqlite(t) => {
                let rows: Vec<(String, String)> =
                    sqlx::query_as("SELECT name, type FROM pragma_table_info($1) ORDER BY cid")
                        .bind(table)
                        .fetch_all(&mut **t)
                        .await
                        .map_err(db)?;
                Ok(rows
                    .into_iter()
                    .map(|(name, ty)| Column {
                        ty: ColType::from_sqlite(&ty),
                        name,
                    })
                    .collect())
            }
            Tx::Postgres(t) => {
                let rows: Vec<(String, String)> = sqlx::query_as(
                    "SELECT column_name::text, udt_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                )
                .bind(table)
                .fetch_all(&mut **t)
                .await
                .map_err(db)?;
                rows.into_iter()
                    .map(|(name, udt)| match ColType::from_pg(&udt) {
                        Some(ty) => Ok(Column { name, ty }),
                        None => Err(BackupError::UnsupportedType {
                            table: table.to_string(),
                            column: name,
                            ty: udt,
                        }),
                    })
                    .collect()
            }
        }
    }

    /// The primary key's columns in key order (empty without one).
    pub async fn primary_key(&mut self, table: &str) -> Result<Vec<String>, BackupError> {
        match self {
            Tx::Sqlite(t) => {
                sqlx::query_scalar(
                    "SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk",
                )
                .bind(table)
                .fetch_all(&mut **t)
                .await
            }
            Tx::Postgres(t) => {
                sqlx::query_scalar(
                    "SELECT a.attname::text FROM pg_index i \
                 JOIN pg_class c ON c.oid = i.indrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema() \
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
                 WHERE c.relname = $1 AND i.indisprimary \
                 ORDER BY array_position(i.indkey::int2[], a.attnum)",
                )
                .bind(table)
                .fetch_all(&mut **t)
                .await
            }
        }
        .map_err(db)
    }

    /// The other tables `table` refers to by foreign key.
    pub async fn parents(&mut self, table: &str) -> Result<BTreeSet<String>, BackupError> {
        let v: Vec<String> = match self {
            Tx::Sqlite(t) => {
                sqlx::query_scalar("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list($1)")
                    .bind(table)
                    .fetch_all(&mut **t)
                    .await
            }
            Tx::Postgres(t) => {
                sqlx::query_scalar(
                    "SELECT DISTINCT p.relname::text FROM pg_constraint k \
                 JOIN pg_class c ON c.oid = k.conrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema() \
                 JOIN pg_class p ON p.oid = k.confrelid \
                 WHERE k.contype = 'f' AND c.relname = $1",
                )
                .bind(table)
                .fetch_all(&mut **t)
                .await
            }
        }
        .map_err(db)?;
        Ok(v.into_iter().filter(|p| p != table).collect())
    }

    pub async fn count(&mut self, table: &str) -> Result<u64, BackupError> {
        let sql = format!("SELECT COUNT(*) FROM {}", q(table));
        let n: i64 = match self {
            Tx::Sqlite(t) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&mut **t)
                    .await
            }
            Tx::Postgres(t) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&mut **t)
                    .await
            }
        }
        .map_err(db)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The data tables in an order where every table comes after the tables
    /// it refers to (rows of a table referring to its own earlier rows, such
    /// as a reversing receipt, are kept in primary-key order, which is time
    /// order for UUIDv7 keys).
    pub async fn tables_in_dependency_order(&mut self) -> Result<Vec<String>, BackupError> {
        let tables = self.data_tables().await?;
        let mut parents = BTreeMap::new();
        for t in &tables {
            let p = self.parents(t).await?;
            parents.insert(t.clone(), p);
        }
        dependency_order(&tables, &parents)
    }

    /// The query reading every row of `table` in primary-key order.
    async fn select_sql(&mut self, table: &str, columns: &[Column]) -> Result<String, BackupError> {
        let pk = self.primary_key(table).await?;
        let order: Vec<String> = if pk.is_empty() {
            columns.iter().map(|c| q(&c.name)).collect()
        } else {
            pk.iter().map(|c| q(c)).collect()
        };
        let cols: Vec<String> = columns.iter().map(|c| q(&c.name)).collect();
        Ok(format!(
            "SELECT {} FROM {} ORDER BY {}",
            cols.join(", "),
            q(table),
            order.join(", ")
        ))
    }

    /// Every row of a (small) table, in primary-key order.
    pub async fn rows(
        &mut self,
        table: &str,
        columns: &[Column],
    ) -> Result<Vec<Vec<Val>>, BackupError> {
        let sql = self.select_sql(table, columns).await?;
        match self {
            Tx::Sqlite(t) => sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut **t)
                .await
                .map_err(db)?
                .iter()
                .map(|r| sqlite_row(r, table))
                .collect(),
            Tx::Postgres(t) => sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut **t)
                .await
                .map_err(db)?
                .iter()
                .map(|r| pg_row(r, table, columns))
                .collect(),
        }
    }

    /// Streams every row of `table`, in primary-key order, into `sink`,
    /// which hands full chunks to the archive writer. Returns the row count.
    pub async fn stream_rows(
        &mut self,
        table: &str,
        columns: &[Column],
        sink: &mut super::ChunkSink,
    ) -> Result<u64, BackupError> {
        let sql = self.select_sql(table, columns).await?;
        let mut n = 0u64;
        match self {
            Tx::Sqlite(t) => {
                let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut **t);
                while let Some(row) = rows.try_next().await.map_err(db)? {
                    if sink.push(&sqlite_row(&row, table)?) {
                        sink.flush().await?;
                    }
                    n += 1;
                }
            }
            Tx::Postgres(t) => {
                let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut **t);
                while let Some(row) = rows.try_next().await.map_err(db)? {
                    if sink.push(&pg_row(&row, table, columns)?) {
                        sink.flush().await?;
                    }
                    n += 1;
                }
            }
        }
        sink.flush().await?;
        Ok(n)
    }

    /// Deletes every row of `table` (rows a migration put in a new database,
    /// such as the audit head, before the archive's rows replace them).
    pub async fn clear(&mut self, table: &str) -> Result<(), BackupError> {
        let sql = format!("DELETE FROM {}", q(table));
        match self {
            Tx::Sqlite(t) => sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut **t)
                .await
                .map(|_| ()),
            Tx::Postgres(t) => sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut **t)
                .await
                .map(|_| ()),
        }
        .map_err(db)
    }

    /// Inserts rows whose values are already converted to `columns`' types.
    pub async fn insert(
        &mut self,
        table: &str,
        columns: &[Column],
        rows: Vec<Vec<Val>>,
    ) -> Result<(), BackupError> {
        if rows.is_empty() || columns.is_empty() {
            return Ok(());
        }
        // Both databases take at least 32,766 parameters per statement.
        let per_statement = (30_000 / columns.len()).clamp(1, 500);
        let names: Vec<String> = columns.iter().map(|c| q(&c.name)).collect();
        let head = format!("INSERT INTO {} ({}) VALUES ", q(table), names.join(", "));
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let batch: Vec<Vec<Val>> = rows.by_ref().take(per_statement).collect();
            let mut sql = head.clone();
            let mut n = 0usize;
            for (r, _) in batch.iter().enumerate() {
                if r > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for c in 0..columns.len() {
                    if c > 0 {
                        sql.push_str(", ");
                    }
                    n += 1;
                    sql.push_str(&format!("${n}"));
                }
                sql.push(')');
            }
            match self {
                Tx::Sqlite(t) => {
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for row in batch {
                        for v in row {
                            query = match v {
                                Val::Null => query.bind(None::<i64>),
                                Val::Int(i) => query.bind(i),
                                Val::Real(r) => query.bind(r),
                                Val::Text(s) => query.bind(s),
                                Val::Blob(b) => query.bind(b),
                                other => {
                                    return Err(BackupError::SchemaMismatch(format!(
                                        "{table}: a {other:?} value cannot be stored in SQLite"
                                    )));
                                }
                            };
                        }
                    }
                    query.execute(&mut **t).await.map_err(db)?;
                }
                Tx::Postgres(t) => {
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for row in batch {
                        for (v, c) in row.into_iter().zip(columns) {
                            query = pg_bind(query, v, c.ty).map_err(|detail| {
                                BackupError::SchemaMismatch(format!("{table}.{}: {detail}", c.name))
                            })?;
                        }
                    }
                    query.execute(&mut **t).await.map_err(db)?;
                }
            }
        }
        Ok(())
    }

    /// The audit log in sequence order, `limit` entries after `after_seq`.
    pub async fn audit_batch(
        &mut self,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<jousei_core::audit::AuditEntry>, BackupError> {
        let rows: Vec<crate::imp::AuditRow> = match self {
            Tx::Sqlite(t) => {
                sqlx::query_as(crate::imp::SQL_AUDIT_BATCH)
                    .bind(after_seq)
                    .bind(limit)
                    .fetch_all(&mut **t)
                    .await
            }
            Tx::Postgres(t) => {
                sqlx::query_as(crate::imp::SQL_AUDIT_BATCH)
                    .bind(after_seq)
                    .bind(limit)
                    .fetch_all(&mut **t)
                    .await
            }
        }
        .map_err(db)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The recorded head of the audit chain.
    pub async fn audit_head(&mut self) -> Result<(i64, String), BackupError> {
        match self {
            Tx::Sqlite(t) => {
                sqlx::query_as(crate::imp::SQL_AUDIT_HEAD)
                    .fetch_one(&mut **t)
                    .await
            }
            Tx::Postgres(t) => {
                sqlx::query_as(crate::imp::SQL_AUDIT_HEAD)
                    .fetch_one(&mut **t)
                    .await
            }
        }
        .map_err(db)
    }
}

fn corrupt(table: &str, column: &str, detail: &str) -> BackupError {
    BackupError::Store(StoreError::Corrupt(format!("{table}.{column}: {detail}")))
}

fn sqlite_row(row: &sqlx::sqlite::SqliteRow, table: &str) -> Result<Vec<Val>, BackupError> {
    (0..row.len())
        .map(|i| {
            sqlite_val(row, i).map_err(|e| corrupt(table, row.column(i).name(), &e.to_string()))
        })
        .collect()
}

fn pg_row(
    row: &sqlx::postgres::PgRow,
    table: &str,
    columns: &[Column],
) -> Result<Vec<Val>, BackupError> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| pg_val(row, i, c.ty).map_err(|e| corrupt(table, &c.name, &e.to_string())))
        .collect()
}

fn sqlite_val(row: &sqlx::sqlite::SqliteRow, i: usize) -> Result<Val, sqlx::Error> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Val::Null);
    }
    let kind = raw.type_info().name().to_string();
    Ok(match kind.as_str() {
        "INTEGER" | "BOOLEAN" => Val::Int(row.try_get_unchecked::<i64, _>(i)?),
        "REAL" | "NUMERIC" => Val::Real(row.try_get_unchecked::<f64, _>(i)?),
        "BLOB" => Val::Blob(row.try_get_unchecked::<Vec<u8>, _>(i)?),
        _ => Val::Text(row.try_get_unchecked::<String, _>(i)?),
    })
}

fn pg_val(row: &sqlx::postgres::PgRow, i: usize, ty: ColType) -> Result<Val, sqlx::Error> {
    Ok(match ty {
        ColType::Uuid => row
            .try_get::<Option<uuid::Uuid>, _>(i)?
            .map_or(Val::Null, Val::Uuid),
        ColType::Timestamp => row
            .try_get::<Option<jiff_sqlx::Timestamp>, _>(i)?
            .map_or(Val::Null, |t| Val::Ts(t.to_jiff())),
        ColType::Date => row
            .try_get::<Option<jiff_sqlx::Date>, _>(i)?
            .map_or(Val::Null, |d| Val::Date(d.to_jiff())),
        ColType::Bool => row
            .try_get::<Option<bool>, _>(i)?
            .map_or(Val::Null, Val::Bool),
        ColType::Int(16) => row
            .try_get::<Option<i16>, _>(i)?
            .map_or(Val::Null, |v| Val::Int(i64::from(v))),
        ColType::Int(32) => row
            .try_get::<Option<i32>, _>(i)?
            .map_or(Val::Null, |v| Val::Int(i64::from(v))),
        ColType::Int(_) => row
            .try_get::<Option<i64>, _>(i)?
            .map_or(Val::Null, Val::Int),
        ColType::Real => row
            .try_get::<Option<f64>, _>(i)?
            .map_or(Val::Null, Val::Real),
        ColType::Text => row
            .try_get::<Option<String>, _>(i)?
            .map_or(Val::Null, Val::Text),
        ColType::Blob => row
            .try_get::<Option<Vec<u8>>, _>(i)?
            .map_or(Val::Null, Val::Blob),
        ColType::Json => row
            .try_get::<Option<sqlx::types::Json<serde_json::Value>>, _>(i)?
            .map_or(Val::Null, |j| Val::Text(j.0.to_string())),
    })
}

type PgQuery<'q> = sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>;

/// Binds a value converted to `ty`, with a NULL of the column's own type.
fn pg_bind(query: PgQuery<'_>, v: Val, ty: ColType) -> Result<PgQuery<'_>, String> {
    Ok(match (ty, v) {
        (ColType::Uuid, Val::Null) => query.bind(None::<uuid::Uuid>),
        (ColType::Uuid, Val::Uuid(u)) => query.bind(u),
        (ColType::Timestamp, Val::Null) => query.bind(None::<jiff_sqlx::Timestamp>),
        (ColType::Timestamp, Val::Ts(t)) => query.bind(jiff_sqlx::Timestamp::from(t)),
        (ColType::Date, Val::Null) => query.bind(None::<jiff_sqlx::Date>),
        (ColType::Date, Val::Date(d)) => query.bind(jiff_sqlx::Date::from(d)),
        (ColType::Bool, Val::Null) => query.bind(None::<bool>),
        (ColType::Bool, Val::Bool(b)) => query.bind(b),
        (ColType::Int(16), Val::Null) => query.bind(None::<i16>),
        (ColType::Int(16), Val::Int(i)) => query.bind(i16::try_from(i).map_err(|e| e.to_string())?),
        (ColType::Int(32), Val::Null) => query.bind(None::<i32>),
        (ColType::Int(32), Val::Int(i)) => query.bind(i32::try_from(i).map_err(|e| e.to_string())?),
        (ColType::Int(_), Val::Null) => query.bind(None::<i64>),
        (ColType::Int(_), Val::Int(i)) => query.bind(i),
        (ColType::Real, Val::Null) => query.bind(None::<f64>),
        (ColType::Real, Val::Real(r)) => query.bind(r),
        (ColType::Text, Val::Null) => query.bind(None::<String>),
        (ColType::Text, Val::Text(s)) => query.bind(s),
        (ColType::Blob, Val::Null) => query.bind(None::<Vec<u8>>),
        (ColType::Blob, Val::Blob(b)) => query.bind(b),
        (ColType::Json, Val::Null) => query.bind(None::<sqlx::types::Json<serde_json::Value>>),
        (ColType::Json, Val::Text(s)) => {
            let v: serde_json::Value = serde_json::from_str(&s).map_err(|e| e.to_string())?;
            query.bind(sqlx::types::Json(v))
        }
        (ty, v) => return Err(format!("a {v:?} value does not fit a {ty:?} column")),
    })
}

/// Orders tables so that each comes after the tables it refers to; a cycle
/// between tables is refused (jousei's schema has none).
pub(crate) fn dependency_order(
    tables: &[String],
    parents: &BTreeMap<String, BTreeSet<String>>,
) -> Result<Vec<String>, BackupError> {
    let mut done: Vec<String> = Vec::with_capacity(tables.len());
    let mut left: Vec<&String> = tables.iter().collect();
    while !left.is_empty() {
        let before = left.len();
        let mut next = Vec::new();
        for t in left {
            let ready = parents
                .get(t)
                .is_none_or(|ps| ps.iter().all(|p| done.contains(p) || !tables.contains(p)));
            if ready {
                done.push(t.clone());
            } else {
                next.push(t);
            }
        }
        if next.len() == before {
            let names: Vec<&str> = next.iter().map(|s| s.as_str()).collect();
            return Err(BackupError::SchemaMismatch(format!(
                "the tables {} refer to each other in a cycle; backups cannot order them",
                names.join(", ")
            )));
        }
        left = next;
    }
    Ok(done)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parents_come_first_and_cycles_are_refused() {
        let t = |s: &str| s.to_string();
        let tables = vec![t("a_child"), t("b_parent"), t("c_grandchild"), t("d_alone")];
        let mut parents = BTreeMap::new();
        parents.insert(t("a_child"), BTreeSet::from([t("b_parent")]));
        parents.insert(
            t("c_grandchild"),
            BTreeSet::from([t("a_child"), t("b_parent")]),
        );
        let order = dependency_order(&tables, &parents).unwrap();
        assert_eq!(
            order,
            vec![t("b_parent"), t("d_alone"), t("a_child"), t("c_grandchild")]
        );
        parents.insert(t("b_parent"), BTreeSet::from([t("c_grandchild")]));
        let e = dependency_order(&tables, &parents).unwrap_err();
        assert!(e.to_string().contains("cycle"), "{e}");
    }
}
